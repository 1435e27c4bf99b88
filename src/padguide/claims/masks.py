"""Claims about masks through a whole model: normalisation, convolution, positions,
polarity and losses.

The experiments behind them are in :mod:`padguide.experiments.masks`. Each
causal claim's evidence carries its control: the same run without the cure
(the mask dropped, no re-zeroing, absolute positions, eval mode ...).
"""

from __future__ import annotations

import math

from padguide.claims._ledger import Evidence, NotApplicable, claim

SAME = 1e-5
"""Largest difference still called equal (float32 round-off)."""
DIFFERENT = 1e-3
"""Smallest difference called a change."""


def _mx():
    import padguide.experiments.masks as mx

    return mx


def _keras3_only(keras3: bool, what: str) -> None:
    if not keras3:
        raise NotApplicable(f"{what} is Keras 3 behaviour")


# --- normalisation --------------------------------------------------------------------------


@claim(
    "torch.batchnorm1d-counts-padding",
    framework="torch",
    statement="nn.BatchNorm1d in training mode counts the pad positions in its batch "
    "statistics: changing only the pads' values moves the real positions' outputs. In "
    "eval mode (running statistics) they stay.",
)
def batchnorm1d_counts_padding():
    r = _mx().norm_run()
    return Evidence(
        r.torch_batchnorm > DIFFERENT,
        {"largest move at real positions, training": r.torch_batchnorm},
        control={"eval mode": r.torch_batchnorm_eval},
        control_differs=r.torch_batchnorm_eval < SAME,
    )


@claim(
    "keras.batch-normalization-skips-masked-positions",
    framework="keras",
    statement="Keras 3's BatchNormalization, given a mask, leaves the pad positions out of "
    "its batch statistics: changing only the pads' values leaves the real outputs as they "
    "were; without the mask they move.",
)
def batch_normalization_skips_masked_positions():
    r = _mx().norm_run()
    _keras3_only(r.keras3, "BatchNormalization's use of the mask")
    return Evidence(
        r.keras_batchnorm_masked < SAME,
        {"largest move at real positions, with mask": r.keras_batchnorm_masked},
        control={"no mask": r.keras_batchnorm_unmasked},
        control_differs=r.keras_batchnorm_unmasked > DIFFERENT,
    )


@claim(
    "torch.layer-norm-per-position",
    framework="torch",
    statement="nn.LayerNorm normalises each position on its own, so the pads' values do "
    "not reach the real positions, until a plain mean over time pools them in; a mean "
    "over the real positions keeps them out.",
)
def layer_norm_per_position():
    r = _mx().norm_run()
    return Evidence(
        r.torch_layernorm < SAME and r.torch_layernorm_masked_mean < SAME,
        {
            "largest move at real positions": r.torch_layernorm,
            "after a masked mean": r.torch_layernorm_masked_mean,
        },
        control={"after a plain mean over time": r.torch_layernorm_mean_pooled},
        control_differs=r.torch_layernorm_mean_pooled > DIFFERENT,
    )


# --- convolution ----------------------------------------------------------------------------


@claim(
    "keras.conv1d-mask-ends-at-conv",
    framework="keras",
    statement="Keras 3 warns that Conv1D destroys the mask, and no layer after it sees the "
    "mask: GlobalAveragePooling1D after Conv1D(kernel_size=1) averages over the pads too, "
    "while after Dense it does not.",
)
def conv1d_mask_ends_at_conv():
    from padguide.keras_backend import get_keras, is_keras3

    _keras3_only(is_keras3(get_keras()), "the warning")
    r = _mx().conv_run()
    holds = (
        "destroy the mask" in r.keras_warning
        and not r.keras_conv_output_has_mask
        and r.keras_pooled_conv > DIFFERENT
    )
    return Evidence(
        holds,
        {
            "warning": r.keras_warning,
            "Conv1D output has a mask": r.keras_conv_output_has_mask,
            "pooled, padded vs alone, after Conv1D": r.keras_pooled_conv,
        },
        control={"pooled, padded vs alone, after Dense": r.keras_pooled_dense},
        control_differs=r.keras_pooled_dense < SAME,
    )


def _stack(framework: str) -> Evidence:
    r = _mx().conv_run()
    name = "torch Conv1d" if framework == "torch" else "keras Conv1D"
    each, once, never = (
        r.stacked[f"{name}, re-zero {z}"] for z in ("each", "input", "none")
    )
    return Evidence(
        each < SAME,
        {"largest difference from alone, re-zeroed before each layer": each},
        control={"zeroed once, before the first": once, "never zeroed": never},
        control_differs=once > DIFFERENT and never > DIFFERENT,
    )


@claim(
    "torch.conv1d-stack-needs-rezeroing-each-layer",
    framework="torch",
    statement="Two stacked nn.Conv1d(kernel_size=3, padding=1), channels-first, match each "
    "sequence run alone only if the padding is zeroed (x * mask[:, None, :]) before each "
    "layer; zeroing once is not enough.",
)
def torch_conv1d_stack_needs_rezeroing_each_layer():
    return _stack("torch")


@claim(
    "keras.conv1d-stack-needs-rezeroing-each-layer",
    framework="keras",
    statement="Two stacked Conv1D(kernel_size=3, padding='same'), channels-last, match each "
    "sequence run alone only if the padding is zeroed (x * mask[..., None]) before each "
    "layer; zeroing once is not enough.",
)
def keras_conv1d_stack_needs_rezeroing_each_layer():
    return _stack("keras")


@claim(
    "keras.causal-conv-left-padding-needs-rezeroing",
    framework="keras",
    statement="Stacked causal Conv1D layers never read the pads of right padding, which "
    "come after every real token; under left padding they do, unless the padding is "
    "zeroed before each layer.",
)
def causal_conv_left_padding_needs_rezeroing():
    c = _mx().conv_run().causal
    cured = ("right padding, re-zero none", "left padding, re-zero each")
    return Evidence(
        all(c[k] < SAME for k in cured),
        {"largest difference from alone": {k: c[k] for k in cured}},
        control={"left padding, re-zero none": c["left padding, re-zero none"]},
        control_differs=c["left padding, re-zero none"] > DIFFERENT,
    )


# --- positions ------------------------------------------------------------------------------


@claim(
    "torch.rotary-scores-shift-invariant",
    framework="torch",
    statement="With rotary positions, shifting a sequence along by the pads of left "
    "padding leaves its attention scores unchanged; with learned absolute positions "
    "added to the inputs they change.",
)
def rotary_scores_shift_invariant():
    r = _mx().position_run()
    return Evidence(
        r.rotary < SAME,
        {"shift": r.shift, "largest change of the scores, rotary": r.rotary},
        control={"learned absolute positions": r.absolute},
        control_differs=r.absolute > DIFFERENT,
    )


# --- polarity -------------------------------------------------------------------------------


def _row(name: str) -> dict:
    return _mx().polarity()[name]


def _ignores(name: str) -> Evidence:
    row = _row(name)
    marked, unmarked = row["key marked / unmarked"]
    return Evidence(
        row["True means"] == "ignore this key" and marked < SAME,
        {"True means": row["True means"], "influence of the key marked True": marked},
        control={"influence of the key unmarked": unmarked},
        control_differs=unmarked > DIFFERENT,
    )


@claim(
    "torch.mha-bool-attn-mask-true-blocks",
    framework="torch",
    statement="A boolean attn_mask for nn.MultiheadAttention is True where attention is "
    "not allowed, like its key_padding_mask and unlike F.scaled_dot_product_attention.",
)
def mha_bool_attn_mask_true_blocks():
    return _ignores("nn.MultiheadAttention attn_mask (bool)")


@claim(
    "torch.transformer-encoder-padding-mask-true-ignores",
    framework="torch",
    statement="TransformerEncoder's src_key_padding_mask is True at the pads, to ignore.",
)
def transformer_encoder_padding_mask_true_ignores():
    return _ignores("TransformerEncoder src_key_padding_mask")


@claim(
    "torch.nothing-to-attend-nan-or-zeros",
    framework="torch",
    statement="A query with nothing to attend to gets NaN from nn.MultiheadAttention "
    "(need_weights=True) and from TransformerEncoder (eval, no nested tensors), and zeros "
    "from F.scaled_dot_product_attention (CPU).",
)
def nothing_to_attend_nan_or_zeros():
    rows = _mx().polarity()
    found = {
        name: rows[name]["nothing to attend"]
        for name in (
            "nn.MultiheadAttention key_padding_mask",
            "nn.MultiheadAttention attn_mask (bool)",
            "TransformerEncoder src_key_padding_mask",
            "F.scaled_dot_product_attention attn_mask (bool)",
        )
    }
    values = list(found.values())
    return Evidence(values[:3] == ["NaN"] * 3 and values[3] == "zeros", found)


@claim(
    "keras.mha-nothing-to-attend-finite",
    framework="keras",
    statement="Keras' MultiHeadAttention gives a finite output, not NaN, for a query whose "
    "attention_mask row is all False.",
)
def mha_nothing_to_attend_finite():
    row = _row("keras.layers.MultiHeadAttention attention_mask")
    return Evidence(
        row["nothing to attend"] in ("zeros", "finite, not zero"),
        {
            "True means": row["True means"],
            "nothing to attend": row["nothing to attend"],
        },
    )


# --- losses ---------------------------------------------------------------------------------


@claim(
    "keras.sample-weight-normalised-by-real-tokens",
    framework="keras",
    statement="Keras 3, in fit and evaluate, with a mask and a 2-D sample_weight: the loss "
    "is the weighted sum over real tokens divided by the number of real tokens, not by "
    "the sum of their weights.",
)
def sample_weight_normalised_by_real_tokens():
    r = _mx().sample_weight_run()
    _keras3_only(r.keras3, "this normalisation")

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-5)

    holds = (
        close(r.evaluate, r.by_real_count)
        and close(r.fit, r.by_real_count)
        and not close(r.evaluate, r.by_weight_sum)
    )
    return Evidence(
        holds,
        {
            "evaluate": r.evaluate,
            "fit": r.fit,
            "weighted sum / real tokens": r.by_real_count,
            "weighted sum / sum of weights": r.by_weight_sum,
        },
        control={"no sample_weight": r.unweighted, "masked mean": r.masked_mean},
        control_differs=close(r.unweighted, r.masked_mean)
        and not close(r.unweighted, r.evaluate),
    )
