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
    "contribution per pad position.",
)
def pad_row_trains_through_dense():
    run = _pk().seed_experiment("dense")
    pad = run.ids == 0
    kernel = float(run.gradient[0, 0] / run.position_weights[pad].sum())
    return Evidence(
        bool(np.abs(run.pad_row_gradient).max() > 0),
        {
            "pad_positions": int(pad.sum()),
            "pad_row_gradient": run.pad_row_gradient,
            "gradient_over_sum_of_pad_weights": kernel,
        },
    )


@claim(
    "keras.masked-dense-stops-pad-gradient",
    framework="keras",
    statement="A layer that applies the mask (MaskedDense) leaves row 0 with a zero gradient.",
)
def masked_dense_stops_pad_gradient():
    run = _pk().seed_experiment("masked")
    return Evidence(
        bool((run.pad_row_gradient == 0).all()),
        {"consumer": run.notes["consumer"], "pad_row_gradient": run.pad_row_gradient},
    )


@claim(
    "keras.masked-dense-zero-output-at-pad",
    framework="keras",
    statement="MaskedDense outputs zeros at pad positions and passes the mask on.",
)
def masked_dense_zero_output_at_pad():
    run = _pk().seed_experiment("masked")
    return Evidence(
        bool((run.pad_output == 0).all()), {"output_at_pad": run.pad_output}
    )


def _consumes(layer: str):
    r = _pk().layer_masking(layer)
    return Evidence(
        r.padded_equals_unpadded and not r.warning,
        {
            "max_difference_padded_vs_unpadded": r.max_difference,
            "output_has_mask": r.output_has_mask,
        },
    )


_CONSUMER_SLUGS = {
    "LSTM": "lstm",
    "GRU": "gru",
    "GlobalAveragePooling1D": "global-average-pooling",
    "MultiHeadAttention": "multi-head-attention",
}

for _layer, _slug in _CONSUMER_SLUGS.items():

    @claim(
        f"keras.{_slug}-consumes-mask",
        framework="keras",
        statement=f"{_layer} consumes the mask: a padded input gives the unpadded result.",
    )
    def layer_consumes_mask(layer=_layer):
        return _consumes(layer)


@claim(
    "keras.global-max-pooling-drops-mask",
    framework="keras",
    statement="GlobalMaxPooling1D ignores the mask: padding changes its result.",
)
def global_max_pooling_drops_mask():
    r = _pk().layer_masking("GlobalMaxPooling1D")
    return Evidence(
        not r.padded_equals_unpadded,
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
        {
            "loss": r.with_mask,
            "mean_over_real": r.mean_over_real,
            "mean_over_all": r.mean_over_all,
        },
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
    statement="On the TensorFlow backend, id -1 silently looks up the last row.",
)
def minus_one_is_last_row():
    r = _pk().out_of_range_run()
    return Evidence(
        r.minus_one_is_last_row,
        {"minus_one_is_last_row": r.minus_one_is_last_row, "error": r.minus_one_error},
    )


@claim(
    "keras.adam-not-lazy",
    framework="keras",
    statement="Keras' Adam is not lazy: a row absent from a batch still moves, through its "
    "momentum; SGD leaves it alone.",
)
def adam_not_lazy():
    moved = _pk().keras_adam_is_lazy()
    return Evidence(moved["Adam"] > 0 and moved["SGD"] == 0, moved)


@claim(
    "keras.weight-decay-moves-masked-pad-row",
    framework="keras",
    statement="Consuming the mask stops row 0's gradient, not weight decay: AdamW still moves "
    "the (random, non-zero) row 0, while SGD leaves it.",
)
def weight_decay_moves_masked_pad_row():
    pk = _pk()
    adamw, sgd = pk.pad_row_drift("masked", "AdamW"), pk.pad_row_drift("masked", "SGD")
    return Evidence(adamw > 0 and sgd == 0, {"AdamW": adamw, "SGD": sgd})


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
    statement="padguide's PaddingIdxEmbedding keeps its pad row exactly zero under AdamW with "
    "weight decay; Keras' Embedding lets the same row move.",
)
def padding_idx_embedding_keeps_pad_row():
    pk = _pk()
    if not is_keras3(get_keras()):
        raise NotApplicable("PaddingIdxEmbedding is written for Keras 3")
    moved = pk.pad_row_under_adamw(padding_idx=1)
    return Evidence(
        moved["PaddingIdxEmbedding"] == 0 and moved["keras.layers.Embedding"] > 0, moved
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
    padded = _pk().pad_sequences_default()
    return Evidence(
        padded == [[1, 2, 3], [0, 0, 4]], {"pad_sequences([[1, 2, 3], [4]])": padded}
    )
