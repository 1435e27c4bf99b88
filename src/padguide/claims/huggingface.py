"""Claims about Hugging Face conventions: ``attention_mask``, ``padding_side``, -100, collators.

The experiments behind them are in :mod:`padguide.experiments.huggingface`
(a tokenizer trained on the play, small random GPT-2 and BERT models).
A causal claim's evidence carries its control: the same run without the
cause (no mask, no ``position_ids``, right padding, a pad id as label ...).
"""

from __future__ import annotations

import math

import numpy as np

from padguide.claims._ledger import Evidence, NotApplicable, claim

SAME = 1e-5
"""Largest difference still called equal (float32 round-off)."""
DIFFERENT = 1e-3
"""Smallest difference called a change."""


def _hf():
    try:
        import padguide.experiments.huggingface as hf
    except ImportError as err:
        # A version set without transformers (the matrix's tf218).
        raise NotApplicable(str(err)) from err
    return hf


@claim(
    "huggingface.attention-mask-one-is-real",
    framework="huggingface",
    statement="A tokenizer's attention_mask is 1 at real tokens and 0 at padding, on either "
    "padding side.",
)
def attention_mask_one_is_real():
    hf = _hf()
    shown, holds = {}, True
    for side in ("right", "left"):
        batch = hf.padded_batch(side)
        real = batch.input_ids != batch.pad_token_id
        holds &= bool(np.array_equal(batch.attention_mask == 1, real))
        short = int(np.argmin(batch.attention_mask.sum(1)))
        shown[f"{side}: shortest line's attention_mask"] = batch.attention_mask[short]
    return Evidence(holds, shown)


@claim(
    "huggingface.padding-side-default-right",
    framework="huggingface",
    statement="A tokenizer pads on the right unless padding_side='left' is set; the "
    "attention_mask follows the pads.",
)
def padding_side_default_right():
    hf = _hf()
    default = hf.tokenizer().padding_side
    right, left = hf.padded_batch("right"), hf.padded_batch("left")
    # Right padding: each row's mask never rises again once it has fallen.
    right_ok = bool((np.diff(right.attention_mask, axis=1) <= 0).all())
    left_ok = bool((np.diff(left.attention_mask, axis=1) >= 0).all())
    short = int(np.argmin(right.attention_mask.sum(1)))
    return Evidence(
        default == "right" and right_ok and left_ok,
        {
            "default padding_side": default,
            "right: shortest ids": right.input_ids[short],
            "left: shortest ids": left.input_ids[short],
        },
    )


@claim(
    "huggingface.attention-mask-isolates-padding",
    framework="huggingface",
    statement="With the tokenizer's attention_mask, BERT's hidden states at each line's real "
    "tokens equal the line run alone; with an all-ones mask (the pads attended) they do not.",
)
def attention_mask_isolates_padding():
    r = _hf().bert_mask_run()
    return Evidence(
        r.with_mask < SAME,
        {"largest difference from alone, with attention_mask": r.with_mask},
        control={"all-ones attention_mask": r.without_mask},
        control_differs=r.without_mask > DIFFERENT,
    )


@claim(
    "huggingface.labels-minus-100-ignored",
    framework="huggingface",
    statement="A model's loss skips labels of -100: GPT-2's loss equals the mean next-token "
    "cross-entropy over real targets; with the pad id as label instead it does not.",
)
def labels_minus_100_ignored():
    r = _hf().label_run()
    return Evidence(
        math.isclose(r.model_loss, r.mean_over_real, rel_tol=1e-5),
        {
            "loss, -100 at pads": r.model_loss,
            "mean over real targets": r.mean_over_real,
            "real targets / all": [r.real_targets, r.all_targets],
        },
        control={"loss, pad id as label": r.pad_id_labels},
        control_differs=abs(r.pad_id_labels - r.model_loss) > DIFFERENT,
    )


@claim(
    "torch.cross-entropy-ignores-minus-100-by-default",
    framework="torch",
    statement="F.cross_entropy's default ignore_index is -100, so with no arguments it skips "
    "Hugging Face's -100 labels and gives the model's loss.",
)
def cross_entropy_ignores_minus_100_by_default():
    r = _hf().label_run()
    holds = r.cross_entropy_default_ignore_index == -100 and math.isclose(
        r.cross_entropy_default, r.mean_over_real, rel_tol=1e-5
    )
    return Evidence(
        holds,
        {
            "default ignore_index": r.cross_entropy_default_ignore_index,
            "F.cross_entropy, defaults": r.cross_entropy_default,
            "mean over real targets": r.mean_over_real,
        },
        control={"pad id as label": r.pad_id_labels},
        control_differs=abs(r.pad_id_labels - r.cross_entropy_default) > DIFFERENT,
    )


@claim(
    "keras.minus-100-id-wraps",
    framework="keras",
    statement="Keras 3: -100 as an input id is no error; an Embedding of 300 rows reads row "
    "200 (ids wrap), where PyTorch's nn.Embedding raises IndexError.",
)
def minus_100_id_wraps():
    r = _hf().keras_minus_100()
    if not r["keras3"]:
        raise NotApplicable(
            f"ids wrap in Keras 3's ops.take; Keras {r['keras']} raises"
        )
    return Evidence(
        r["embedding_row_read"] == 300 - 100 and not r["embedding_error"],
        {
            "Keras row read for id -100": r["embedding_row_read"],
            "Keras error": r["embedding_error"],
        },
        control={"torch nn.Embedding error": r["torch_embedding_error"]},
        control_differs=r["torch_embedding_error"] == "IndexError",
    )


@claim(
    "keras.ignore-class-minus-100-matches-torch",
    framework="keras",
    statement="SparseCategoricalCrossentropy(ignore_class=-100) equals F.cross_entropy on "
    "labels with -100; without ignore_class the -100 label is not skipped (TensorFlow "
    "backend: an error).",
)
def ignore_class_minus_100_matches_torch():
    r = _hf().keras_minus_100()
    ignored, plain, torch_ce = (
        r["loss_ignore_class"],
        r["loss_plain"],
        r["torch_cross_entropy"],
    )
    matches = isinstance(ignored, float) and math.isclose(
        ignored, torch_ce, rel_tol=1e-5
    )
    control_differs = not (
        isinstance(plain, float) and math.isclose(plain, torch_ce, rel_tol=1e-5)
    )
    return Evidence(
        matches,
        {"ignore_class=-100": ignored, "F.cross_entropy": torch_ce},
        control={"no ignore_class": plain},
        control_differs=control_differs,
    )


@claim(
    "huggingface.left-padding-needs-position-ids",
    framework="huggingface",
    statement="With left padding, GPT-2's last-token logits for a line batched with longer "
    "ones equal the line alone only when position_ids = cumsum(attention_mask) - 1 are "
    "passed; without them its learned absolute positions count the pads.",
)
def left_padding_needs_position_ids():
    r = _hf().append_run()
    return Evidence(
        r.left_with_positions < SAME,
        {
            "largest difference from alone, with position_ids": r.left_with_positions,
            "position_ids of the shortest line": r.position_ids,
        },
        control={"no position_ids": r.left_without_positions},
        control_differs=r.left_without_positions > DIFFERENT,
    )


@claim(
    "huggingface.right-padding-breaks-appending",
    framework="huggingface",
    statement="With right padding, the last column holds a pad's logits, and a token appended "
    "to every row lands after the pads: the short line's next-token logits differ from "
    "the line alone. Left padding with position_ids gives the same logits.",
)
def right_padding_breaks_appending():
    r = _hf().append_run()
    holds = (
        r.right_last_column > DIFFERENT
        and r.right_appended > DIFFERENT
        and r.right_last_real_token < SAME
    )
    return Evidence(
        holds,
        {
            "right: last column": r.right_last_column,
            "right: last real token": r.right_last_real_token,
            "right: after appending": r.right_appended,
        },
        control={
            "left + position_ids, after appending": r.left_with_positions_appended
        },
        control_differs=r.left_with_positions_appended < SAME,
    )


@claim(
    "huggingface.pad-eos-erases-eos-label",
    framework="huggingface",
    statement="DataCollatorForLanguageModeling(mlm=False) sets the label of every pad id to "
    "-100; with pad_token = eos_token that erases the real end-of-text label too, which a "
    "pad token of its own keeps.",
)
def pad_eos_erases_eos_label():
    r = _hf().pad_eos_run()

    def eos_label(run):
        last_real = int(sum(run["attention_mask"])) - 1
        assert run["input_ids"][last_real] == run["eos_id"][0], "the line ends in EOS"
        return run["labels"][last_real]

    shared, own = r["pad = eos"], r["pad of its own"]
    return Evidence(
        eos_label(shared) == -100,
        {"pad = eos: labels": shared["labels"][: sum(shared["attention_mask"]) + 1]},
        control={
            "pad of its own: labels": own["labels"][: sum(own["attention_mask"]) + 1]
        },
        control_differs=eos_label(own) == own["eos_id"][0],
    )


@claim(
    "huggingface.pad-to-multiple-of",
    framework="huggingface",
    statement="DataCollatorWithPadding pads a batch to its longest sequence, or with "
    "pad_to_multiple_of=m to the next multiple of m.",
)
def pad_to_multiple_of():
    r = _hf().collator_run()
    longest = max(r.lengths)
    holds = r.padded_to["None"] == longest and all(
        length == math.ceil(longest / int(m)) * int(m)
        for m, length in r.padded_to.items()
        if m != "None"
    )
    return Evidence(
        holds,
        {"lengths": r.lengths, "padded length by pad_to_multiple_of": r.padded_to},
    )
