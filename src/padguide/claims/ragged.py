"""Claims about padding-free batches in TensorFlow and Keras: ``tf.RaggedTensor``.

The experiments behind them are in :mod:`padguide.experiments.ragged`. Ragged
tensors exist only on the TensorFlow backend: on JAX or PyTorch the Keras
claims here do not apply. Each causal claim carries its control: the same
speeches as a padded batch.
"""

from __future__ import annotations

import functools

from padguide.claims._ledger import Evidence, NotApplicable, claim

SAME = 1e-6
"""Largest difference still called equal (float32 round-off)."""
DIFFERENT = 1e-3
"""Smallest difference called a change."""

KERAS3_SUPPORT = {
    "LayerNormalization": "RaggedTensor",
    "GlobalAveragePooling1D": "Tensor",
    "Dense": "raises ValueError",
    "LSTM": "raises ValueError",
    "MultiHeadAttention": "raises ValueError",
}
"""What the statement of ``keras.ragged-layer-support`` says Keras 3 does."""
KERAS2_ACCEPTS = ("Dense", "LSTM", "MultiHeadAttention")


def _ragged():
    from padguide.experiments import ragged

    why = ragged.applicable()
    if why:
        raise NotApplicable(why)
    return ragged


@functools.cache
def _embedding_run():
    return _ragged().ragged_embedding()


@claim(
    "keras.ragged-embedding-no-pad",
    framework="keras",
    statement="On the TensorFlow backend, Embedding takes a tf.RaggedTensor and returns one "
    "with the same row lengths, each row its speech's lookup alone; the table's gradient is "
    "an IndexedSlices over the real ids only. A padded batch's gradient lists the pad id "
    "once per pad position.",
)
def ragged_embedding_no_pad():
    r = _embedding_run()
    return Evidence(
        r.output_is_ragged
        and r.output_error < SAME
        and r.gradient_error < SAME
        and r.gradient_pad_ids == 0
        and r.gradient_type == "IndexedSlices",
        {
            "row lengths": r.row_lengths,
            "largest output difference": r.output_error,
            "gradient": r.gradient_type,
            "ids in the gradient": r.gradient_ids,
            "pad ids among them": r.gradient_pad_ids,
        },
        control={
            "padded: ids in the gradient": r.padded_gradient_ids,
            "padded: pad ids among them": r.padded_gradient_pad_ids,
        },
        control_differs=r.padded_gradient_pad_ids > 0,
    )


@claim(
    "keras.ragged-global-average-pooling",
    framework="keras",
    statement="On the TensorFlow backend, GlobalAveragePooling1D averages each row of a "
    "ragged embedding over its own tokens; on the padded batch without a mask it averages "
    "the padding in.",
)
def ragged_global_average_pooling():
    r = _embedding_run()
    return Evidence(
        r.mean_error < SAME,
        {"largest difference from each speech's mean": r.mean_error},
        control={"padded, no mask: largest difference": r.padded_mean_error},
        control_differs=r.padded_mean_error > DIFFERENT,
    )


@claim(
    "keras.ragged-layer-support",
    framework="keras",
    statement="On the TensorFlow backend, Keras 3 passes a ragged embedding through "
    "LayerNormalization and pools it with GlobalAveragePooling1D, but Dense, LSTM and "
    "MultiHeadAttention raise; Keras 2 (tf-keras) accepts all three.",
)
def ragged_layer_support():
    ragged = _ragged()
    found = ragged.layer_support()
    if ragged.keras_major() >= 3:
        holds = found == KERAS3_SUPPORT
    else:
        holds = all(not found[name].startswith("raises") for name in KERAS2_ACCEPTS)
    return Evidence(holds, {f"Keras {ragged.keras_major()}": found})


@claim(
    "tensorflow.ragged-map-flat-values",
    framework="tensorflow",
    statement="tf.ragged.map_flat_values applies a Keras Dense layer to the real tokens of a "
    "ragged batch only, each row equal to its speech alone; the padded batch computes every "
    "padding slot too.",
)
def ragged_map_flat_values():
    r = _ragged().map_flat_values()
    return Evidence(
        r["largest output difference"] < SAME,
        {k: v for k, v in r.items() if not k.startswith("padded")},
        control={k: v for k, v in r.items() if k.startswith("padded")},
        control_differs=r["padded: tokens computed"] > r["tokens computed"],
    )
