"""Padding-free batches in TensorFlow and Keras: ``tf.RaggedTensor``.

The first speeches of the play as one ``tf.RaggedTensor`` of ids, through a
Keras ``Embedding`` and the layers that accept a ragged input; each result is
compared with each speech run alone, and with a padded batch (the control).
Keras is reached through :func:`padguide.keras_backend.get_keras`; ragged
tensors exist only on the TensorFlow backend. Results are plain numpy.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np

from padguide.keras_backend import current_backend, get_keras, is_keras3

__all__ = [
    "COUNT",
    "LAYERS",
    "RaggedRun",
    "applicable",
    "keras_major",
    "layer_support",
    "map_flat_values",
    "ragged_embedding",
    "speeches",
]

COUNT = 8
"""How many speeches of the play the experiments batch together."""
DIM = 8
LAYERS = (
    "LayerNormalization",
    "GlobalAveragePooling1D",
    "Dense",
    "LSTM",
    "MultiHeadAttention",
)
"""The layers tried on a ragged embedding output."""


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    return tf


@functools.cache
def speeches(count: int = COUNT) -> tuple[tuple[np.ndarray, ...], int]:
    """The first ``count`` speeches of the play as id arrays, and the vocabulary size."""
    from padguide.corpus import Vocab, tokenize, twelfth_night

    tokens = [tokenize(s.text) for s in twelfth_night()]
    vocab = Vocab.build(tokens)
    return tuple(np.array(vocab.encode(t)) for t in tokens[:count]), len(vocab)


def _embedding(vocab: int, *, mask_zero: bool = False):
    keras = get_keras()
    keras.utils.set_random_seed(0)
    layer = keras.layers.Embedding(vocab, DIM, mask_zero=mask_zero)
    layer.build((None, None))
    return layer


@dataclass(frozen=True)
class RaggedRun:
    """A ragged batch through ``Embedding`` and ``GlobalAveragePooling1D``, against each alone."""

    row_lengths: np.ndarray
    output_is_ragged: bool
    output_error: float
    """Largest difference between a ragged row's embedding and its speech looked up alone."""
    gradient_type: str
    gradient_ids: int
    """How many ids the embedding gradient lists (one per real token)."""
    gradient_pad_ids: int
    """How many of them are the pad id 0 (none in a ragged batch)."""
    gradient_error: float
    """Largest difference of the dense gradient from the sum of each speech's own gradient."""
    padded_gradient_ids: int
    padded_gradient_pad_ids: int
    """The control: the same speeches padded, ``mask_zero=True``; pad ids in its gradient."""
    mean_error: float
    """``GlobalAveragePooling1D`` of each ragged row against the mean of its speech alone."""
    padded_mean_error: float
    """The control: the same pooling on the padded batch without a mask."""


def ragged_embedding(count: int = COUNT) -> RaggedRun:
    """A ragged batch of speeches through a Keras ``Embedding`` (TensorFlow backend)."""
    tf = _tf()
    keras = get_keras()
    sequences, vocab = speeches(count)
    emb = _embedding(vocab)
    pool = keras.layers.GlobalAveragePooling1D()
    ragged = tf.ragged.constant([s.tolist() for s in sequences], dtype=tf.int64)
    weights = tf.random.stateless_normal((count, 1), seed=(0, 1))
    with tf.GradientTape() as tape:
        out = emb(ragged)
        pooled = pool(out)
        loss = tf.reduce_sum(pooled * weights)
    grad = tape.gradient(loss, emb.embeddings)
    alone_grad = np.zeros(emb.embeddings.shape, dtype=np.float32)
    output_error, mean_error = 0.0, 0.0
    for i, seq in enumerate(sequences):
        with tf.GradientTape() as tape:
            one = emb(tf.constant(seq[None]))
            one_loss = tf.reduce_sum(tf.reduce_mean(one, axis=1) * weights[i])
        alone_grad += tf.convert_to_tensor(
            tape.gradient(one_loss, emb.embeddings)
        ).numpy()
        row = out[i].numpy()
        output_error = max(output_error, float(np.abs(row - one[0].numpy()).max()))
        mean_error = max(
            mean_error, float(np.abs(pooled[i].numpy() - one[0].numpy().mean(0)).max())
        )
    indices = grad.indices.numpy() if hasattr(grad, "indices") else np.array([])
    dense = tf.convert_to_tensor(grad).numpy()

    # The control: the same speeches padded, pad id 0 and mask_zero=True.
    padded_emb = _embedding(vocab, mask_zero=True)
    from padguide.batching import pad

    ids = tf.constant(pad(sequences))
    with tf.GradientTape() as tape:
        padded_out = padded_emb(ids)
        padded_loss = tf.reduce_sum(padded_out)
    padded_grad = tape.gradient(padded_loss, padded_emb.embeddings)
    padded_indices = (
        padded_grad.indices.numpy() if hasattr(padded_grad, "indices") else np.array([])
    )
    unmasked_mean = tf.reduce_mean(emb(ids), axis=1).numpy()
    padded_mean_error = float(np.abs(unmasked_mean - pooled.numpy()).max())
    return RaggedRun(
        row_lengths=out.row_lengths().numpy()
        if isinstance(out, tf.RaggedTensor)
        else np.array([]),
        output_is_ragged=isinstance(out, tf.RaggedTensor),
        output_error=output_error,
        gradient_type=type(grad).__name__,
        gradient_ids=len(indices),
        gradient_pad_ids=int((indices == 0).sum()),
        gradient_error=float(np.abs(dense - alone_grad).max()),
        padded_gradient_ids=len(padded_indices),
        padded_gradient_pad_ids=int((padded_indices == 0).sum()),
        mean_error=mean_error,
        padded_mean_error=padded_mean_error,
    )


def layer_support(count: int = COUNT) -> dict[str, str]:
    """What each of :data:`LAYERS` does with a ragged embedding output.

    ``"RaggedTensor"`` or ``"Tensor"`` (the type it returns), or the name of
    the exception it raises.
    """
    tf = _tf()
    keras = get_keras()
    sequences, vocab = speeches(count)
    ragged = tf.ragged.constant([s.tolist() for s in sequences], dtype=tf.int64)
    embedded = _embedding(vocab)(ragged)
    found = {}
    for name in LAYERS:
        keras.utils.set_random_seed(0)
        if name == "MultiHeadAttention":
            layer = keras.layers.MultiHeadAttention(2, 4)
            call = lambda layer=layer: layer(embedded, embedded)
        else:
            args = {"Dense": (4,), "LSTM": (4,)}.get(name, ())
            layer = getattr(keras.layers, name)(*args)
            call = lambda layer=layer: layer(embedded)
        try:
            result = call()
        except Exception as err:  # noqa: BLE001 - which error a layer raises is the result
            found[name] = f"raises {type(err).__name__}"
        else:
            found[name] = (
                "RaggedTensor" if isinstance(result, tf.RaggedTensor) else "Tensor"
            )
    return found


def applicable() -> str:
    """Why ragged tensors do not apply here ('' where they do): they need the TensorFlow backend."""
    backend = current_backend()
    if backend != "tensorflow":
        return f"tf.RaggedTensor needs the TensorFlow backend; this is {backend}"
    return ""


def keras_major() -> int:
    return 3 if is_keras3(get_keras()) else 2


def map_flat_values(count: int = COUNT) -> dict:
    """A Keras ``Dense`` over a ragged embedding through ``tf.ragged.map_flat_values``.

    Keras 3's ``Dense`` rejects a ``RaggedTensor``; mapped over its flat values
    it sees the real tokens only. Returns the largest difference from each
    speech alone and the tokens computed, ragged and padded.
    """
    tf = _tf()
    keras = get_keras()
    sequences, vocab = speeches(count)
    ragged = tf.ragged.constant([s.tolist() for s in sequences], dtype=tf.int64)
    emb = _embedding(vocab)
    keras.utils.set_random_seed(0)
    dense = keras.layers.Dense(4)
    out = tf.ragged.map_flat_values(dense, emb(ragged))
    error = 0.0
    for i, seq in enumerate(sequences):
        alone = dense(emb(tf.constant(seq[None])))[0].numpy()
        error = max(error, float(np.abs(out[i].numpy() - alone).max()))
    return {
        "largest output difference": error,
        "tokens computed": int(out.flat_values.shape[0]),
        "padded: tokens computed": len(sequences) * max(len(s) for s in sequences),
    }
