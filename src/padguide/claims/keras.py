"""Claims about Keras' ``Embedding(mask_zero=True)`` and the layers after it.

Keras is reached through :func:`padguide.keras_backend.get_keras` inside the
experiments, so these claims run on Keras 3 and on Keras 2 (``tf_keras``).
"""

from __future__ import annotations

import numpy as np

from padguide.claims._ledger import Evidence, NotApplicable, claim
from padguide.keras_backend import get_keras, is_keras3


def _pk():
    import padguide.experiments.keras as pk

    return pk


@claim(
    "keras.mask-is-ids-not-zero",
    framework="keras",
    statement="Embedding(mask_zero=True) emits the mask ids != 0 (True = a real token).",
)
def mask_is_ids_not_zero():
    run = _pk().seed_experiment()
    return Evidence(
        bool(np.array_equal(run.mask, run.ids != 0)), {"ids": run.ids, "mask": run.mask}
    )


@claim(
    "keras.pad-output-is-row-zero",
    framework="keras",
    statement="mask_zero does not zero anything: pad positions output row 0, "
    "an ordinary random row.",
)
def pad_output_is_row_zero():
    K = get_keras()
    K.utils.set_random_seed(0)
    emb = K.layers.Embedding(7, 3, mask_zero=True)
    out = np.asarray(emb(np.array([[4, 0]])))
    row0 = emb.embeddings.numpy()[0]
    return Evidence(
        bool(np.array_equal(out[0, 1], row0) and np.abs(row0).max() > 0),
        {"row0": row0, "output_at_pad": out[0, 1]},
    )


@claim(
    "keras.dense-passes-mask-unapplied",
    framework="keras",
    statement="Dense passes the mask on without applying it: its output at pad positions "
    "is not zero.",
)
def dense_passes_mask_unapplied():
    r = _pk().layer_masking("Dense")
    return Evidence(
        r.output_has_mask and r.pad_output > 0,
        {"output_has_mask": r.output_has_mask, "largest_output_at_pad": r.pad_output},
    )


@claim(
    "keras.pad-row-trains-through-dense",
    framework="keras",
    statement="With a plain Dense after the embedding, row 0 gets a gradient: one "
    "contribution per pad position, the Dense kernel times that position's loss weight; "
    "a mask consumer instead leaves it zero.",
)
def pad_row_trains_through_dense():
    pk = _pk()
    # The running example, as the page describes it.
    run = pk.twelfth_night_experiment("dense")
    masked = pk.twelfth_night_experiment("masked")
    pad = run.ids == 0
    kernel = run.notes["dense_kernel"]
    per_weight = run.gradient[0] / run.position_weights[pad].sum()
    return Evidence(
        bool(
            np.abs(run.pad_row_gradient).max() > 0
            and np.allclose(per_weight, kernel, rtol=1e-5)
        ),
        {
            "pad_positions": int(pad.sum()),
            "pad_row_gradient": run.pad_row_gradient,
            "gradient_over_sum_of_pad_weights": per_weight,
            "dense_kernel": kernel,
        },
        control={"MaskedDense, pad_row_gradient": masked.pad_row_gradient},
        control_differs=bool((masked.pad_row_gradient == 0).all()),
    )


@claim(
    "keras.masked-dense-stops-pad-gradient",
    framework="keras",
    statement="A layer that applies the mask (MaskedDense) leaves row 0 with a zero gradient.",
)
def masked_dense_stops_pad_gradient():
    run, plain = _pk().seed_experiment("masked"), _pk().seed_experiment("dense")
    return Evidence(
        bool((run.pad_row_gradient == 0).all()),
        {"consumer": run.notes["consumer"], "pad_row_gradient": run.pad_row_gradient},
        control={"Dense, pad_row_gradient": plain.pad_row_gradient},
        control_differs=bool(np.abs(plain.pad_row_gradient).max() > 0),
    )


@claim(
    "keras.masked-dense-zero-output-at-pad",
    framework="keras",
    statement="MaskedDense outputs zeros at pad positions and passes the mask on.",
)
def masked_dense_zero_output_at_pad():
    run, plain = _pk().seed_experiment("masked"), _pk().seed_experiment("dense")
    return Evidence(
        bool((run.pad_output == 0).all()),
        {"output_at_pad": run.pad_output},
        control={"Dense, output_at_pad": plain.pad_output},
        control_differs=bool(np.abs(plain.pad_output).max() > 0),
    )


def _consumes(layer: str, side: str = "right"):
    r = _pk().layer_masking(layer, side=side)
    free = _pk().layer_masking(layer, mask_zero=False, side=side)
    return Evidence(
        r.padded_equals_unpadded and not r.warning,
        {
            "max_difference_padded_vs_unpadded": r.max_difference,
            "output_has_mask": r.output_has_mask,
        },
        control={"without mask_zero, max_difference": free.max_difference},
        control_differs=not free.padded_equals_unpadded,
    )


_CONSUMER_SLUGS = {
    "LSTM": ("lstm", "skips the masked steps, carrying its state over"),
    "GRU": ("gru", "skips the masked steps, carrying its state over"),
    "GlobalAveragePooling1D": (
        "global-average-pooling",
        "averages over the real steps",
    ),
    "MultiHeadAttention": ("multi-head-attention", "builds its attention mask from it"),
}

for _layer, (_slug, _how) in _CONSUMER_SLUGS.items():

    @claim(
        f"keras.{_slug}-consumes-mask",
        framework="keras",
        statement=f"{_layer} consumes the mask ({_how}): a right-padded input gives the "
        "unpadded result; without mask_zero it does not.",
    )
    def layer_consumes_mask(layer=_layer):
        return _consumes(layer)


@claim(
    "keras.lstm-consumes-left-padding-mask",
    framework="keras",
    statement="On CPU, LSTM consumes the mask of a left-padded input too: the masked steps come "
    "first and carry the initial state over, so the final state equals the unpadded one.",
)
def lstm_consumes_left_padding_mask():
    return _consumes("LSTM", side="left")


@claim(
    "keras.batch-normalization-uses-mask",
    framework="keras",
    statement="Keras 3's BatchNormalization in training mode computes its batch statistics "
    "over the unmasked positions only: a padded input gives the unpadded result; without "
    "mask_zero it does not.",
)
def batch_normalization_uses_mask():
    if not is_keras3(get_keras()):
        raise NotApplicable("masked batch statistics are a Keras 3 feature")
    return _consumes("BatchNormalization")


_PASS_ON = {
    "Dropout": ("dropout", "Dropout (inference mode)"),
    "LayerNormalization": ("layer-normalization", "LayerNormalization"),
    "Activation": ("activation", "Activation('tanh')"),
}

for _layer, (_slug, _name) in _PASS_ON.items():

    @claim(
        f"keras.{_slug}-passes-mask-on",
        framework="keras",
        statement=f"{_name} passes the mask on without applying it: its output carries the "
        "mask, and it works on each position alone, so its outputs at pad positions are "
        "computed from row 0, not zero.",
    )
    def layer_passes_mask_on(layer=_layer):
        r = _pk().layer_masking(layer)
        return Evidence(
            r.output_has_mask and r.pad_output > 0 and not r.warning,
            {
                "output_has_mask": r.output_has_mask,
                "largest_output_at_pad": r.pad_output,
            },
        )


@claim(
    "keras.conv1d-drops-mask",
    framework="keras",
    statement="Conv1D does not support masking: its output carries no mask, so the mask stops "
    "there for every layer after it; Keras 3 warns when that happens.",
)
def conv1d_drops_mask():
    r = _pk().layer_masking("Conv1D")
    warned = bool(r.warning) or not is_keras3(get_keras())
    return Evidence(
        warned and not r.output_has_mask,
        {"output_has_mask": r.output_has_mask, "warning": r.warning[:80]},
    )


@claim(
    "keras.multi-head-attention-ignores-pad-keys",
    framework="keras",
    statement="After Embedding(mask_zero=True), Keras 3's MultiHeadAttention gives every pad "
    "key an attention score of exactly 0, from every query; without the mask the pad keys "
    "get attention.",
)
def multi_head_attention_ignores_pad_keys():
    if not is_keras3(get_keras()):
        raise NotApplicable("checked on Keras 3's MultiHeadAttention")
    masked = _pk().mha_attention_to_padding()
    free = _pk().mha_attention_to_padding(mask_zero=False)
    return Evidence(
        masked == 0,
        {"largest_score_on_a_pad_key": masked},
        control={"without mask_zero": free},
        control_differs=free > 0,
    )


@claim(
    "keras.global-average-pooling-all-padding-nan",
    framework="keras",
    statement="GlobalAveragePooling1D's masked mean divides by the number of real steps, so a "
    "row of padding only gives NaN (0 / 0).",
)
def global_average_pooling_all_padding_nan():
    r = _pk().all_padding_average()
    return Evidence(
        bool(np.isnan(r["all-padding row"]).all() and np.isfinite(r["real row"]).all()),
        r,
    )


@claim(
    "keras.global-max-pooling-drops-mask",
    framework="keras",
    statement="GlobalMaxPooling1D ignores the mask (Keras 3 warns): padding changes its result.",
)
def global_max_pooling_drops_mask():
    r = _pk().layer_masking("GlobalMaxPooling1D")
    warned = bool(r.warning) or not is_keras3(get_keras())
    return Evidence(
        not r.padded_equals_unpadded and warned,
        {"max_difference_padded_vs_unpadded": r.max_difference, "warning": r.warning},
    )


@claim(
    "keras.loss-averages-over-mask",
    framework="keras",
    statement="A loss applied to predictions that carry a mask averages over the real "
    "positions only.",
)
def loss_averages_over_mask():
    r = _pk().masked_loss_run()
    return Evidence(
        bool(
            np.isclose(r.with_mask, r.mean_over_real)
            and not np.isclose(r.with_mask, r.mean_over_all)
        ),
        {"loss": r.with_mask, "mean_over_real": r.mean_over_real},
        control={"no mask attached": r.without_mask, "mean_over_all": r.mean_over_all},
        control_differs=bool(
            np.isclose(r.without_mask, r.mean_over_all)
            and not np.isclose(r.without_mask, r.mean_over_real)
        ),
    )


@claim(
    "keras.ignore-class-is-masked-mean",
    framework="keras",
    statement="SparseCategoricalCrossentropy(ignore_class=0) equals the mean over real tokens.",
)
def ignore_class_is_masked_mean():
    r = _pk().masked_loss_run()
    return Evidence(
        bool(np.isclose(r.ignore_class, r.mean_over_real)),
        {"ignore_class": r.ignore_class, "mean_over_real": r.mean_over_real},
        control={"without ignore_class": r.without_mask},
        control_differs=not np.isclose(r.without_mask, r.mean_over_real),
    )


@claim(
    "keras.input-dim-out-of-range-raises",
    framework="keras",
    statement="An id equal to input_dim is an error on CPU, hence input_dim = vocabulary + 1 "
    "when ids start at 1.",
)
def input_dim_out_of_range_raises():
    r = _pk().out_of_range_run()
    return Evidence(bool(r.input_dim_error), {"error": r.input_dim_error})


@claim(
    "keras.minus-one-is-last-row",
    framework="keras",
    statement="Keras 3's Embedding looks ids up with ops.take, which wraps every id in "
    "[-input_dim, -1] to a row counted from the end: -1 reads the last row, and -100 (Hugging "
    "Face's label-ignore value) reads row 900 of Embedding(1000, 2); -input_dim - 1 raises. Raw "
    "tf.gather raises on -1 (TensorFlow backend, CPU).",
)
def minus_one_is_last_row():
    K = get_keras()
    if not is_keras3(K):
        raise NotApplicable("Keras 2 looks ids up with tf.gather, which raises on -1")
    r = _pk().out_of_range_run()
    return Evidence(
        r.minus_one_is_last_row
        and r.minus_input_dim_is_first_row
        and r.minus_100_reads_row == 1000 - 100
        and bool(r.below_minus_input_dim_error),
        {
            "minus_one_is_last_row": r.minus_one_is_last_row,
            "minus_input_dim_is_first_row": r.minus_input_dim_is_first_row,
            "row_read_by_minus_100_in_Embedding(1000, 2)": r.minus_100_reads_row,
            "minus_input_dim_minus_1_error": r.below_minus_input_dim_error,
        },
        control={"tf.gather(table, [-1]) error": r.tf_gather_minus_one_error},
        control_differs=bool(r.tf_gather_minus_one_error),
    )


@claim(
    "keras.adam-not-lazy",
    framework="keras",
    statement="Keras' Adam and SGD with momentum are not lazy: a row absent from the batch "
    "still moves, through state from earlier batches; only plain SGD (momentum 0) leaves it "
    "alone.",
)
def adam_not_lazy():
    moved = _pk().keras_adam_is_lazy()
    return Evidence(
        moved["Adam"] > 0 and moved["SGD(momentum=0.9)"] > 0,
        {k: moved[k] for k in ("Adam", "SGD(momentum=0.9)")},
        control={"SGD (momentum 0)": moved["SGD"]},
        control_differs=moved["SGD"] == 0,
    )


@claim(
    "keras.weight-decay-moves-masked-pad-row",
    framework="keras",
    statement="Consuming the mask stops row 0's gradient, not weight decay: AdamW "
    "(weight_decay=0.1) still moves the (random, non-zero) row 0; with weight_decay=0 it "
    "stays.",
)
def weight_decay_moves_masked_pad_row():
    pk = _pk()
    adamw = pk.pad_row_drift("masked", "AdamW")
    none = pk.pad_row_drift("masked", "AdamW(weight_decay=0)")
    return Evidence(
        adamw > 0,
        {"AdamW(weight_decay=0.1)": adamw},
        control={"AdamW(weight_decay=0)": none},
        control_differs=none == 0,
    )


@claim(
    "keras.guide-temporal-softmax-gives-nan",
    framework="keras",
    statement="The TemporalSoftmax of the Keras masking guide returns 1 at every real step "
    "and NaN at every masked one: it sums over the size-1 feature axis, not over time.",
)
def guide_temporal_softmax_gives_nan():
    r = _pk().guide_temporal_softmax()
    real = r["ids"] != 0
    guide = r["guide"]
    holds = bool(np.allclose(guide[real], 1.0) and np.isnan(guide[~real]).all())
    return Evidence(holds, {"ids": r["ids"], "guide_output": guide})


@claim(
    "keras.masked-softmax-over-time",
    framework="keras",
    statement="padguide's masked_softmax on the same scores sums to 1 over the real steps and "
    "gives 0 at the masked ones.",
)
def masked_softmax_over_time():
    r = _pk().guide_temporal_softmax()
    probs, real = r["masked_softmax"], r["ids"] != 0
    return Evidence(
        bool(np.allclose(probs.sum(-1), 1) and (probs[~real] == 0).all()),
        {"masked_softmax": probs},
    )


@claim(
    "keras.padding-idx-embedding-keeps-pad-row",
    framework="keras",
    statement="padguide's PaddingIdxEmbedding keeps its pad row exactly where it starts, at "
    "zero, under AdamW with weight decay; Keras' Embedding lets the same row move.",
)
def padding_idx_embedding_keeps_pad_row():
    pk = _pk()
    if not is_keras3(get_keras()):
        raise NotApplicable("PaddingIdxEmbedding is written for Keras 3")
    r = pk.pad_row_under_adamw(padding_idx=1)
    ours, theirs = r["PaddingIdxEmbedding"], r["keras.layers.Embedding"]
    return Evidence(
        ours["row moved"] == 0 and ours["row at the start"] == 0,
        {"PaddingIdxEmbedding": ours},
        control={"keras.layers.Embedding": theirs},
        control_differs=theirs["row moved"] > 0,
    )


@claim(
    "keras.padding-idx-embedding-outputs-zeros",
    framework="keras",
    statement="PaddingIdxEmbedding outputs zeros at pad positions whatever its pad row holds; "
    "nn.Embedding(padding_idx) outputs the row, so the two differ once the row is not zero.",
)
def padding_idx_embedding_outputs_zeros():
    if not is_keras3(get_keras()):
        raise NotApplicable("PaddingIdxEmbedding is written for Keras 3")
    r = _pk().padding_idx_outputs()
    ours, theirs = np.array(r["PaddingIdxEmbedding"]), np.array(r["torch.nn.Embedding"])
    return Evidence(
        bool((ours == 0).all() and np.abs(r["row"]).max() > 0),
        {"row": r["row"], "PaddingIdxEmbedding": r["PaddingIdxEmbedding"]},
        control={"torch.nn.Embedding": r["torch.nn.Embedding"]},
        control_differs=bool(np.array_equal(theirs, np.array(r["row"]))),
    )


@claim(
    "keras.train-on-batch-reduces-retracing",
    framework="keras",
    statement="Keras 3's train_on_batch compiles the train step with reduce_retracing: 8 "
    "batch lengths cost 2 traces, the second with a None length; a bare tf.function traces "
    "once per length (TensorFlow backend).",
)
def train_on_batch_reduces_retracing():
    if not is_keras3(get_keras()):
        raise NotApplicable("checked on Keras 3's train step")
    import padguide.experiments.tensorflow as ptf

    lengths = [3, 5, 6, 7, 9, 12, 13, 17]
    traced = _pk().train_on_batch_traces(lengths)
    bare = ptf.retraces(lengths)
    return Evidence(
        len(traced) < len(set(lengths)) and any(None in shape for shape in traced),
        {"lengths": lengths, "traced_shapes": traced},
        control={"bare tf.function traces": bare},
        control_differs=bare == len(set(lengths)),
    )


@claim(
    "keras.attention-mask-true-attends",
    framework="keras",
    statement="In keras.layers.MultiHeadAttention's attention_mask, True means attend.",
)
def attention_mask_true_attends():
    meaning = _pk().polarity_keras()[
        "keras.layers.MultiHeadAttention(attention_mask=...)"
    ]
    return Evidence(meaning == "attend", {"True means": meaning})


@claim(
    "keras.pad-sequences-pads-left",
    framework="keras",
    statement="keras.utils.pad_sequences pads (and truncates) on the left by default.",
)
def pad_sequences_pads_left():
    padded, truncated = _pk().pad_sequences_default()
    return Evidence(
        padded == [[1, 2, 3], [0, 0, 4]] and truncated == [[2, 3]],
        {
            "pad_sequences([[1, 2, 3], [4]])": padded,
            "pad_sequences([[1, 2, 3]], maxlen=2)": truncated,
        },
    )


@claim(
    "keras.attention-mask-equals-unpadded",
    framework="keras",
    statement="keras.layers.MultiHeadAttention with padguide's attention_mask gives each "
    "sequence's unpadded result at its real positions; without a mask the padding changes "
    "them.",
)
def attention_mask_equals_unpadded():
    if not is_keras3(get_keras()):
        raise NotApplicable("padguide's Keras recipes are written for Keras 3")
    r = _pk().padded_attention()
    masked = r["keras MultiHeadAttention + attention_mask"]
    free = r["keras MultiHeadAttention, no mask"]
    return Evidence(
        masked < 1e-5,
        {"with attention_mask": masked},
        control={"no mask": free},
        control_differs=free > 1e-3,
    )
