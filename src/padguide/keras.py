"""Keras (TensorFlow backend): the shared recipes, Keras-only recipes, and the experiments.

Recipes are written for Keras 3 with ``keras.ops`` and import only Keras and
numpy (``densify``, which is about a TensorFlow type, imports TensorFlow). Experiments reach Keras through
:func:`padguide.keras_backend.get_keras`, so that they also run on Keras 2, and
return numpy data (see :mod:`padguide.results`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from padguide.keras_backend import get_keras, is_keras3
from padguide.results import EmbeddingRun, SparseGradient, check_ids

__all__ = [
    "CONSUMERS",
    "LAYERS",
    "DensifyResult",
    "LayerMasking",
    "MaskedDense",
    "MaskedLoss",
    "OutOfRange",
    "PaddingIdxEmbedding",
    "attention_mask",
    "densify",
    "densify_methods",
    "densify_table",
    "embedding_run",
    "guide_temporal_softmax",
    "keras_adam_is_lazy",
    "layer_masking",
    "lengths_to_mask",
    "mask_to_lengths",
    "masked_cross_entropy",
    "masked_loss_run",
    "masked_max",
    "masked_mean",
    "masked_softmax",
    "masked_sum",
    "masking_table",
    "out_of_range_run",
    "pad_row_drift",
    "pad_row_under_adamw",
    "pad_sequences_default",
    "polarity_keras",
    "retraces",
    "seed_experiment",
    "tf_bucket_batches",
    "to_left_padding",
    "to_right_padding",
    "twelfth_night_experiment",
]


# --- recipes: the shared API (same names and meaning as padguide.numpy) --------------------
# Written with keras.ops, so they run on any Keras 3 backend and inside compiled
# functions. Values (negative lengths, a mask that is not 0/1) are checked when
# they arrive as NumPy arrays or lists; tensors are checked for shape and dtype
# only, since inside a compiled function their values are not known yet.


def lengths_to_mask(lengths, max_len: int | None = None):
    """A ``(batch, max_len)`` boolean mask, ``True`` where a row has a real token.

    >>> keras.ops.convert_to_numpy(lengths_to_mask([3, 1, 0], max_len=4)).astype(int)
    array([[1, 1, 1, 0],
           [1, 0, 0, 0],
           [0, 0, 0, 0]])
    """
    concrete = isinstance(
        lengths, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    lengths = keras.ops.convert_to_tensor(lengths)
    if len(lengths.shape) != 1:
        raise ValueError(
            f"lengths must be one-dimensional, got shape {tuple(lengths.shape)}"
        )
    if lengths.shape[0] and "int" not in str(lengths.dtype):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if max_len is not None and max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    if concrete:
        values = np.asarray(keras.ops.convert_to_numpy(lengths))
        if values.size and values.min() < 0:
            i = int(np.argmin(values))
            raise ValueError(f"lengths[{i}]={values[i]} is negative")
        longest = int(values.max()) if values.size else 0
        if max_len is not None and longest > max_len:
            i = int(np.argmax(values))
            raise ValueError(f"lengths[{i}]={values[i]} exceeds max_len={max_len}")
        max_len = longest if max_len is None else max_len
    elif max_len is None:
        max_len = keras.ops.max(lengths)
    positions = keras.ops.arange(max_len, dtype="int32")
    return keras.ops.expand_dims(positions, 0) < keras.ops.expand_dims(
        keras.ops.cast(lengths, "int32"), 1
    )


def mask_to_lengths(mask):
    """The number of real tokens in each row of a ``(batch, time)`` mask.

    >>> keras.ops.convert_to_numpy(mask_to_lengths([[True, True, False], [False, True, True]]))
    array([2, 2], dtype=int32)
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    mask = keras.ops.convert_to_tensor(mask)
    if len(mask.shape) != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
    return keras.ops.sum(keras.ops.cast(keras.ops.cast(mask, "bool"), "int32"), axis=1)


def masked_sum(x, mask):
    """Sum over the time axis of the real tokens only; 0 for a row with none.

    >>> keras.ops.convert_to_numpy(masked_sum([[1.0, 2.0, 99.0]], [[True, True, False]]))
    array([3.], dtype=float32)
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    if len(x.shape) not in (2, 3) or tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    if len(x.shape) == 3:
        mask = keras.ops.expand_dims(mask, -1)
    return keras.ops.sum(keras.ops.where(mask, x, keras.ops.zeros_like(x)), axis=1)


def masked_mean(x, mask):
    """Mean over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    >>> keras.ops.convert_to_numpy(masked_mean([[1.0, 2.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]]))
    array([1.5, 0. ], dtype=float32)
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    if len(x.shape) not in (2, 3) or tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    count = keras.ops.sum(keras.ops.cast(mask, x.dtype), axis=1)
    if len(x.shape) == 3:
        mask, count = keras.ops.expand_dims(mask, -1), keras.ops.expand_dims(count, -1)
    total = keras.ops.sum(keras.ops.where(mask, x, keras.ops.zeros_like(x)), axis=1)
    return total / keras.ops.maximum(count, 1)


def masked_max(x, mask):
    """Maximum over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    >>> keras.ops.convert_to_numpy(masked_max([[-3.0, -1.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]]))
    array([-1.,  0.], dtype=float32)
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    if len(x.shape) not in (2, 3) or tuple(mask.shape) != tuple(x.shape[:2]):
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    if "float" not in str(x.dtype):
        x = keras.ops.cast(x, "float32")
    any_real = keras.ops.any(mask, axis=1)
    if len(x.shape) == 3:
        mask, any_real = (
            keras.ops.expand_dims(mask, -1),
            keras.ops.expand_dims(any_real, -1),
        )
    if (
        x.shape[0] == 0 or x.shape[1] == 0
    ):  # max of nothing: TensorFlow refuses, the answer is 0
        return keras.ops.sum(x, axis=1)
    # The dtype's lowest finite value, not -inf or -1e9: finite in float16 too.
    lowest = keras.ops.full_like(
        x, float(np.finfo(keras.backend.standardize_dtype(x.dtype)).min)
    )
    largest = keras.ops.max(keras.ops.where(mask, x, lowest), axis=1)
    return keras.ops.where(any_real, largest, keras.ops.zeros_like(largest))


def masked_softmax(scores, mask):
    """Softmax over the last axis that gives masked positions probability 0.

    A ``(batch, time)`` mask serves ``(batch, heads, query, time)`` scores
    (missing axes after the batch axis are inserted). A row with no unmasked
    position gives all zeros and a finite gradient, never NaN -- unlike the
    ``TemporalSoftmax`` of the Keras masking guide.

    >>> keras.ops.convert_to_numpy(masked_softmax([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], [[1, 1, 0], [0, 0, 0]]))
    array([[0.5, 0.5, 0. ],
           [0. , 0. , 0. ]], dtype=float32)
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    scores, mask = (
        keras.ops.convert_to_tensor(scores),
        keras.ops.convert_to_tensor(mask),
    )
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    if "float" not in str(scores.dtype):
        raise TypeError(f"scores must be floating point, got dtype {scores.dtype}")
    m, s = tuple(mask.shape), tuple(scores.shape)
    if not 2 <= len(m) <= len(s) or m[0] != s[0] or m[-1] != s[-1]:
        raise ValueError(
            f"mask must be (batch, ..., time) for scores (batch, ..., time), got mask {m} and scores {s}"
        )
    mask = keras.ops.reshape(mask, (-1,) + (1,) * (len(s) - len(m)) + m[1:])
    lowest = float(np.finfo(keras.backend.standardize_dtype(scores.dtype)).min)
    filled = keras.ops.where(mask, scores, keras.ops.full_like(scores, lowest))
    if 0 in s:  # nothing to normalise (and TensorFlow refuses the max of nothing)
        return keras.ops.zeros_like(scores)
    exp = keras.ops.exp(filled - keras.ops.max(filled, axis=-1, keepdims=True))
    exp = keras.ops.where(mask, exp, keras.ops.zeros_like(exp))
    total = keras.ops.sum(exp, axis=-1, keepdims=True)
    return exp / keras.ops.where(total > 0, total, keras.ops.ones_like(total))


def to_left_padding(x, lengths):
    """Move each row's real tokens from the start of the row to its end.

    >>> keras.ops.convert_to_numpy(to_left_padding([[7, 8, 0, 0], [5, 6, 7, 0]], [2, 3]))
    array([[0, 0, 7, 8],
           [0, 5, 6, 7]], dtype=int32)
    """
    concrete = isinstance(
        lengths, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    x, lengths = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(lengths)
    if len(x.shape) not in (2, 3) or tuple(lengths.shape) != tuple(x.shape[:1]):
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.shape[0] and "int" not in str(lengths.dtype):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = x.shape[1]
    values = (
        np.asarray(keras.ops.convert_to_numpy(lengths)) if concrete else np.zeros(0)
    )
    if values.size and (values.min() < 0 or values.max() > time):
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {values.tolist()}"
        )
    shift = time - keras.ops.cast(lengths, "int32")
    index = keras.ops.mod(
        keras.ops.arange(time, dtype="int32")[None, :] - shift[:, None], max(time, 1)
    )
    if len(x.shape) == 3:
        index = keras.ops.broadcast_to(
            keras.ops.expand_dims(index, -1), keras.ops.shape(x)
        )
    return keras.ops.take_along_axis(x, index, axis=1)


def to_right_padding(x, lengths):
    """Move each row's real tokens from the end of the row to its start.

    >>> keras.ops.convert_to_numpy(to_right_padding([[0, 0, 7, 8], [0, 5, 6, 7]], [2, 3]))
    array([[7, 8, 0, 0],
           [5, 6, 7, 0]], dtype=int32)
    """
    concrete = isinstance(
        lengths, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    x, lengths = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(lengths)
    if len(x.shape) not in (2, 3) or tuple(lengths.shape) != tuple(x.shape[:1]):
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.shape[0] and "int" not in str(lengths.dtype):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = x.shape[1]
    values = (
        np.asarray(keras.ops.convert_to_numpy(lengths)) if concrete else np.zeros(0)
    )
    if values.size and (values.min() < 0 or values.max() > time):
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {values.tolist()}"
        )
    shift = time - keras.ops.cast(lengths, "int32")
    index = keras.ops.mod(
        keras.ops.arange(time, dtype="int32")[None, :] + shift[:, None], max(time, 1)
    )
    if len(x.shape) == 3:
        index = keras.ops.broadcast_to(
            keras.ops.expand_dims(index, -1), keras.ops.shape(x)
        )
    return keras.ops.take_along_axis(x, index, axis=1)


def masked_cross_entropy(logits, targets, mask):
    """Mean cross-entropy over the real tokens; 0 (not NaN) for a batch with none.

    Equals ``SparseCategoricalCrossentropy(from_logits=True, ignore_class=pad)``
    when ``mask`` is ``targets != pad``.

    >>> logits = np.log([[[0.5, 0.5], [0.9, 0.1]]]).astype("float32")
    >>> round(float(masked_cross_entropy(logits, [[0, 1]], [[1, 0]])), 4)
    0.6931
    """
    concrete = all(isinstance(v, np.ndarray | list | tuple) for v in (targets, mask))
    logits = keras.ops.convert_to_tensor(logits)
    targets, mask = (
        keras.ops.convert_to_tensor(targets),
        keras.ops.convert_to_tensor(mask),
    )
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    shapes = tuple(logits.shape), tuple(targets.shape), tuple(mask.shape)
    if len(shapes[0]) != 3 or shapes[1] != shapes[0][:2] or shapes[2] != shapes[1]:
        raise ValueError(
            f"expected logits (batch, time, classes), targets and mask (batch, time), got {shapes}"
        )
    if "int" not in str(targets.dtype):
        raise TypeError(
            f"targets must hold integer class ids, got dtype {targets.dtype}"
        )
    if concrete:
        real = np.asarray(keras.ops.convert_to_numpy(targets))[
            np.asarray(keras.ops.convert_to_numpy(mask))
        ]
        if real.size and (real.min() < 0 or real.max() >= shapes[0][-1]):
            raise ValueError(
                f"targets at real positions must lie in [0, {shapes[0][-1]}), got {real.min()}..{real.max()}"
            )
    log_probs = keras.ops.log_softmax(logits, axis=-1)
    safe_targets = keras.ops.where(mask, targets, keras.ops.zeros_like(targets))
    picked = keras.ops.take_along_axis(
        log_probs, keras.ops.expand_dims(safe_targets, -1), axis=-1
    )[..., 0]
    total = keras.ops.sum(keras.ops.where(mask, picked, keras.ops.zeros_like(picked)))
    count = keras.ops.sum(keras.ops.cast(mask, picked.dtype))
    return -total / keras.ops.maximum(count, 1)


# --- recipes: Keras only -------------------------------------------------------------------


def attention_mask(mask, causal: bool = False):
    """A boolean ``attention_mask`` for ``keras.layers.MultiHeadAttention`` (``True`` = attend).

    Shape ``(batch, time, time)``: query ``i`` attends key ``j`` when ``j`` is a
    real token (and ``j <= i`` if ``causal``). A query row that would attend no
    key at all attends every key instead, so its output is finite; it sits at
    a padded position, so ignore it downstream.

    >>> keras.ops.convert_to_numpy(attention_mask([[True, True, False]]))[0].astype(int)
    array([[1, 1, 0],
           [1, 1, 0],
           [1, 1, 0]])
    """
    concrete = isinstance(
        mask, np.ndarray | list | tuple
    )  # tensors: shapes checked, not values
    mask = keras.ops.convert_to_tensor(mask)
    if mask.dtype != "bool":
        values = (
            np.asarray(keras.ops.convert_to_numpy(mask)) if concrete else np.zeros(0)
        )
        if values.size and not np.isin(values, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.cast(mask, "bool")
    if len(mask.shape) != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    time = mask.shape[1]
    attend = keras.ops.broadcast_to(
        keras.ops.expand_dims(mask, 1), (mask.shape[0], time, time)
    )
    if causal:
        lower = keras.ops.convert_to_tensor(np.tril(np.ones((time, time), dtype=bool)))
        attend = keras.ops.logical_and(attend, keras.ops.expand_dims(lower, 0))
    # A row that may attend nothing makes softmax NaN: let such queries attend everything.
    empty = keras.ops.logical_not(keras.ops.any(attend, axis=-1, keepdims=True))
    return keras.ops.logical_or(attend, empty)


class PaddingIdxEmbedding(keras.layers.Layer):
    """An embedding with PyTorch's ``padding_idx`` guarantees, for any pad id.

    Row ``padding_idx`` is zero from the start, outputs zeros at pad positions
    (whatever the row holds), receives no gradient, and is reset to zero after
    every optimizer step, so weight decay cannot move it. It also emits the
    mask ``ids != padding_idx`` for the layers after it, like ``mask_zero``.

    >>> emb = PaddingIdxEmbedding(5, 2, padding_idx=1)
    >>> out = emb(np.array([[3, 1]]))
    >>> keras.ops.convert_to_numpy(out)[0, 1].tolist(), emb.embeddings.numpy()[1].tolist()
    ([0.0, 0.0], [0.0, 0.0])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        padding_idx=0,
        embeddings_initializer="uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("input_dim", input_dim),
            ("output_dim", output_dim),
            ("padding_idx", padding_idx),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
        if input_dim < 1 or output_dim < 1:
            raise ValueError(
                f"input_dim and output_dim must be >= 1, got {input_dim} and {output_dim}"
            )
        if not 0 <= padding_idx < input_dim:
            raise ValueError(
                f"padding_idx must lie in [0, input_dim={input_dim}), got {padding_idx}"
            )
        self.input_dim, self.output_dim, self.padding_idx = (
            int(input_dim),
            int(output_dim),
            int(padding_idx),
        )
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)
        self.supports_masking = True

    def _zero_pad_row(self, weights):
        rows = keras.ops.arange(self.input_dim)
        return keras.ops.where(
            keras.ops.expand_dims(rows == self.padding_idx, -1), 0.0, weights
        )

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            constraint=self._zero_pad_row,  # optimizers apply constraints after each step
        )
        self.embeddings.assign(self._zero_pad_row(self.embeddings))

    def call(self, inputs):
        ids = keras.ops.cast(inputs, "int32")
        vectors = keras.ops.take(self.embeddings, ids, axis=0)
        keep = keras.ops.expand_dims(ids != self.padding_idx, -1)
        return keras.ops.where(keep, vectors, keras.ops.zeros_like(vectors))

    def compute_mask(self, inputs, mask=None):
        return keras.ops.not_equal(inputs, self.padding_idx)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "padding_idx": self.padding_idx,
            "embeddings_initializer": keras.initializers.serialize(
                self.embeddings_initializer
            ),
        }


class MaskedDense(keras.layers.Dense):
    """A ``Dense`` layer that consumes the mask: outputs at masked steps are zero.

    Keras' own ``Dense`` passes a mask along without applying it, so the pad
    row's output (and gradient) flows on. This one multiplies its output by
    the mask (zeros at masked steps), which cuts the gradient to the pad row,
    and passes the mask on.

    >>> emb = keras.layers.Embedding(5, 2, mask_zero=True)
    >>> out = MaskedDense(1)(emb(np.array([[3, 0]])))
    >>> float(keras.ops.convert_to_numpy(out)[0, 1, 0])
    0.0
    """

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        outputs = super().call(inputs)
        if mask is None:
            return outputs
        keep = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
        return keras.ops.where(keep, outputs, keras.ops.zeros_like(outputs))

    def compute_mask(self, inputs, mask=None):
        return mask


def densify(gradient) -> tf.Tensor:
    """A dense tensor from a gradient that may be a ``tf.IndexedSlices``.

    Duplicate indices are summed, as a gradient requires (one slice per lookup).

    >>> g = tf.IndexedSlices(tf.ones((3, 2)), tf.constant([1, 1, 0]), tf.constant([3, 2]))
    >>> densify(g).numpy().tolist()
    [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]
    """
    if isinstance(gradient, tf.IndexedSlices):
        return tf.convert_to_tensor(gradient)
    if isinstance(gradient, tf.Tensor | tf.Variable | np.ndarray):
        return tf.convert_to_tensor(gradient)
    raise TypeError(
        f"gradient must be a tf.IndexedSlices or a tensor, got {type(gradient).__name__}"
    )


# --- experiments ---------------------------------------------------------------------------

CONSUMERS = ("masked", "dense")
"""Choices for the layer after the embedding, ``MaskedDense`` (consumes the mask) or ``Dense``."""


def _masked_dense_type(K):
    """``MaskedDense`` for the selected Keras (the recipe on Keras 3, its twin on Keras 2)."""
    if is_keras3(K):
        return MaskedDense

    class Keras2MaskedDense(K.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            outputs = super().call(inputs)
            if mask is None:
                return outputs
            keep = tf.cast(mask, tf.bool)[..., None]
            return tf.where(keep, outputs, tf.zeros_like(outputs))

        def compute_mask(self, inputs, mask=None):
            return mask

    return Keras2MaskedDense


def _version(K) -> str:
    return f"Keras {K.__version__} (TensorFlow {tf.__version__})"


def embedding_run(
    ids: np.ndarray,
    tokens: list[str],
    dim: int = 1,
    *,
    consumer: str = "masked",
    seed: int = 0,
    weight: np.ndarray | None = None,
    dense_kernel: np.ndarray | None = None,
    dense_bias: np.ndarray | None = None,
    position_weights: np.ndarray | None = None,
) -> EmbeddingRun:
    """``Embedding(mask_zero=True)`` → ``MaskedDense(1)`` or ``Dense(1)`` → weight per position → sum.

    Any of ``weight``, ``dense_kernel``, ``dense_bias`` and ``position_weights``
    that is given replaces Keras' seeded initial value, so that PyTorch and
    Keras can start from the same numbers.
    """
    if consumer not in CONSUMERS:
        raise ValueError(f"consumer must be one of {CONSUMERS}, got {consumer!r}")
    K = get_keras()
    ids = check_ids(ids, tokens)
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(len(tokens), dim, mask_zero=True)
    dense = (_masked_dense_type(K) if consumer == "masked" else K.layers.Dense)(1)
    emb.build((None, None))
    dense.build((None, None, dim))
    if weight is not None:
        emb.embeddings.assign(np.asarray(weight, np.float32))
    if dense_kernel is not None:
        dense.kernel.assign(np.asarray(dense_kernel, np.float32).reshape(dim, 1))
    if dense_bias is not None:
        dense.bias.assign(np.asarray(dense_bias, np.float32).reshape(1))
    if position_weights is None:
        position_weights = np.random.default_rng(seed).standard_normal(ids.shape)
    position_weights = np.asarray(position_weights, np.float32)

    weight_before = np.array(emb.embeddings.numpy())
    inputs = tf.constant(ids)
    with tf.GradientTape() as tape:
        embedded = emb(inputs)
        mask = emb.compute_mask(inputs)
        outputs = tf.squeeze(dense(embedded), -1)  # Keras passes the mask along itself
        loss = tf.reduce_sum(outputs * position_weights)
    (grad,) = tape.gradient(loss, [emb.embeddings])
    sparse = None
    if isinstance(grad, tf.IndexedSlices):
        sparse = SparseGradient(
            indices=grad.indices.numpy(),
            values=grad.values.numpy(),
            dense_shape=tuple(int(n) for n in grad.dense_shape.numpy()),
            kind="tf.IndexedSlices",
        )
    return EmbeddingRun(
        framework=_version(K),
        ids=ids,
        tokens=list(tokens),
        weight=weight_before,
        outputs=outputs.numpy(),
        position_weights=position_weights,
        loss=float(loss.numpy()),
        gradient=tf.convert_to_tensor(grad).numpy(),
        mask=mask.numpy(),
        sparse=sparse,
        notes={"consumer": type(dense).__name__, "gradient_type": type(grad).__name__},
    )


def seed_experiment(consumer: str = "masked", seed: int = 0) -> EmbeddingRun:
    """The classic demonstration's ids through Keras, with Keras' own initial weights."""
    from padguide.torch import CLASSIC_IDS

    tokens = ["<pad>", *(f"id{i}" for i in range(1, 7))]
    return embedding_run(CLASSIC_IDS, tokens, dim=1, consumer=consumer, seed=seed)


def twelfth_night_experiment(
    consumer: str = "masked", seed: int = 0, dim: int = 4
) -> EmbeddingRun:
    """The running example from Act 2, Scene 4, through Keras."""
    from padguide.example import running_example

    example = running_example()
    return embedding_run(
        example.ids, example.vocab.tokens, dim=dim, consumer=consumer, seed=seed
    )


@dataclass(frozen=True)
class DensifyResult:
    method: str
    dense: np.ndarray
    correct: bool
    """Equal to the sum of the slices per row (the true gradient)."""


def densify_methods(gradient: SparseGradient) -> list[DensifyResult]:
    """Four ways to make a dense tensor of an ``IndexedSlices``; the last one is wrong."""
    slices = tf.IndexedSlices(
        tf.constant(gradient.values),
        tf.constant(gradient.indices, tf.int64),
        tf.constant(gradient.dense_shape, tf.int64),
    )
    rows = gradient.dense_shape[0]
    index_column = tf.expand_dims(slices.indices, -1)
    zeros = tf.zeros(gradient.dense_shape, slices.values.dtype)
    methods = {
        "tf.convert_to_tensor": lambda: tf.convert_to_tensor(slices),
        "tf.math.unsorted_segment_sum": lambda: tf.math.unsorted_segment_sum(
            slices.values, slices.indices, rows
        ),
        "tf.scatter_nd": lambda: tf.scatter_nd(
            index_column, slices.values, slices.dense_shape
        ),
        "tf.tensor_scatter_nd_update": lambda: tf.tensor_scatter_nd_update(
            zeros, index_column, slices.values
        ),
    }
    truth = gradient.to_dense()
    results = []
    for name, method in methods.items():
        dense = method().numpy()
        results.append(
            DensifyResult(name, dense, bool(np.allclose(dense, truth, atol=1e-6)))
        )
    return results


def densify_table(gradient: SparseGradient, tokens: list[str]):
    """:func:`densify_methods` as a table: one row per method, one column per table row."""
    import pandas as pd

    from padguide.results import DECIMALS

    results = densify_methods(gradient)
    table = pd.DataFrame(
        [r.dense[:, 0] for r in results],
        index=[r.method for r in results],
        columns=tokens,
    )
    table = table.round(DECIMALS) + 0.0
    table["correct?"] = ["yes" if r.correct else "no" for r in results]
    return table


# --- which layers consume the mask -------------------------------------------------------

LAYERS = (
    "LSTM",
    "GRU",
    "GlobalAveragePooling1D",
    "MultiHeadAttention",
    "Dense",
    "GlobalMaxPooling1D",
)
"""The layers the book checks, in the order it shows them."""


@dataclass(frozen=True)
class LayerMasking:
    layer: str
    max_difference: float
    """Largest difference between the padded and the unpadded run, over real positions."""
    output_has_mask: bool
    warning: str
    """What Keras warned, if anything, when the layer met a mask."""
    pad_output: float
    """Largest magnitude of the layer's output at padded positions (sequence outputs only)."""

    @property
    def padded_equals_unpadded(self) -> bool:
        return self.max_difference < 1e-5


def layer_masking(layer: str, seed: int = 0) -> LayerMasking:
    """Run ``layer`` on a padded batch and on the unpadded sequence, and compare."""
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(8, 4, mask_zero=True)
    emb.build((None, None))
    # A large pad row makes any leak of padding into the result plain to see.
    weights = emb.embeddings.numpy()
    weights[0] = 5.0
    emb.embeddings.assign(weights)
    make = {
        "LSTM": lambda: K.layers.LSTM(3),
        "GRU": lambda: K.layers.GRU(3),
        "GlobalAveragePooling1D": K.layers.GlobalAveragePooling1D,
        "GlobalMaxPooling1D": K.layers.GlobalMaxPooling1D,
        "Dense": lambda: K.layers.Dense(3),
        "MultiHeadAttention": lambda: K.layers.MultiHeadAttention(
            num_heads=2, key_dim=2
        ),
    }
    lay = make[layer]()

    def apply(x):
        return lay(x, x) if layer == "MultiHeadAttention" else lay(x)

    real = np.array([[3, 1, 4, 6]])
    padded = np.array([[3, 1, 4, 6, 0, 0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unpadded_out = apply(emb(real))
        padded_out = apply(emb(padded))
    padded_np, unpadded_np = np.asarray(padded_out), np.asarray(unpadded_out)
    sequence_output = padded_np.ndim == 3
    if sequence_output:
        diff = np.abs(padded_np[:, : real.shape[1]] - unpadded_np).max()
        pad_output = float(np.abs(padded_np[:, real.shape[1] :]).max())
    else:
        diff = np.abs(padded_np - unpadded_np).max()
        pad_output = float("nan")
    out_mask = getattr(padded_out, "_keras_mask", None)
    message = next(
        (str(w.message).strip() for w in caught if "mask" in str(w.message)), ""
    )
    return LayerMasking(layer, float(diff), out_mask is not None, message, pad_output)


def masking_table(seed: int = 0):
    """:func:`layer_masking` for every layer in :data:`LAYERS`, as a table for a page."""
    import pandas as pd

    results = [layer_masking(layer, seed) for layer in LAYERS]
    table = pd.DataFrame(
        {
            "real positions: padded == unpadded": [
                r.padded_equals_unpadded for r in results
            ],
            "largest difference": [r.max_difference for r in results],
            "largest output at pad positions": [r.pad_output for r in results],
            "output carries the mask": [r.output_has_mask for r in results],
            "Keras warned": [bool(r.warning) for r in results],
        },
        index=[r.layer for r in results],
    )
    return table.round(4).fillna("(pooled)")


@dataclass(frozen=True)
class MaskedLoss:
    with_mask: float
    mean_over_real: float
    mean_over_all: float
    ignore_class: float


def masked_loss_run(seed: int = 0) -> MaskedLoss:
    """A loss on predictions that carry a mask averages over the real positions only."""
    K = get_keras()
    rng = np.random.default_rng(seed)
    targets = np.array([[2, 1, 3, 0, 0], [1, 1, 0, 0, 0]])
    logits = rng.standard_normal((2, 5, 4)).astype(np.float32)
    mask = targets != 0
    per_token = K.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="none"
    )(targets, logits).numpy()
    masked_logits = tf.constant(logits)
    masked_logits._keras_mask = tf.constant(mask)  # what a masking layer attaches
    loss = K.losses.SparseCategoricalCrossentropy(from_logits=True)
    ignoring = K.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    return MaskedLoss(
        with_mask=float(loss(targets, masked_logits).numpy()),
        mean_over_real=float(per_token[mask].mean()),
        mean_over_all=float(per_token.mean()),
        ignore_class=float(ignoring(targets, logits).numpy()),
    )


@dataclass(frozen=True)
class OutOfRange:
    minus_one_is_last_row: bool
    minus_one_error: str
    input_dim_error: str


def out_of_range_run(seed: int = 0) -> OutOfRange:
    """Ids outside ``[0, input_dim)`` on the TensorFlow backend (CPU)."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(5, 2)
    emb.build((None,))
    errors = {}
    looked_up = {}
    for name, ids in (("minus_one", [-1]), ("input_dim", [5])):
        try:
            looked_up[name] = np.asarray(emb(np.array(ids)))[0]
            errors[name] = ""
        except tf.errors.InvalidArgumentError as err:
            errors[name] = type(err).__name__
    last_row = emb.embeddings.numpy()[-1]
    is_last = "minus_one" in looked_up and bool(
        np.allclose(looked_up["minus_one"], last_row)
    )
    return OutOfRange(is_last, errors["minus_one"], errors["input_dim"])


def keras_adam_is_lazy(seed: int = 0) -> dict[str, float]:
    """Does Keras' Adam leave a row alone in a step whose batch does not contain it?

    Step 1 looks up id 3; step 2 does not. Returns how far row 3 moved in step 2
    under Adam and under SGD.
    """
    K = get_keras()
    moved = {}
    for name, make in (
        ("Adam", lambda: K.optimizers.Adam(0.1)),
        ("SGD", lambda: K.optimizers.SGD(0.1)),
    ):
        K.utils.set_random_seed(seed)
        emb = K.layers.Embedding(5, 2)
        emb.build((None,))
        opt = make()
        row3 = []
        for batch in (np.array([1, 3]), np.array([1, 2])):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(emb(batch) ** 2)
            grads = tape.gradient(loss, emb.trainable_variables)
            row3.append(emb.embeddings.numpy()[3].copy())
            opt.apply_gradients(zip(grads, emb.trainable_variables, strict=True))
        moved[name] = float(np.abs(emb.embeddings.numpy()[3] - row3[1]).max())
    return moved


def pad_row_drift(
    consumer: str, optimizer: str = "SGD", steps: int = 5, seed: int = 0
) -> float:
    """How far row 0 moves in ``steps`` training steps on the classic ids.

    ``optimizer`` is ``"SGD"`` or ``"AdamW"`` (weight decay 0.01).
    """
    if consumer not in CONSUMERS:
        raise ValueError(f"consumer must be one of {CONSUMERS}, got {consumer!r}")
    K = get_keras()
    makers = {
        "SGD": lambda: K.optimizers.SGD(0.1),
        "AdamW": lambda: K.optimizers.AdamW(0.1, weight_decay=0.01),
    }
    if optimizer not in makers:
        raise ValueError(
            f"optimizer must be one of {sorted(makers)}, got {optimizer!r}"
        )
    from padguide.torch import CLASSIC_IDS

    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(7, 3, mask_zero=True)
    dense = (_masked_dense_type(K) if consumer == "masked" else K.layers.Dense)(1)
    emb.build((None, None))
    dense.build((None, None, 3))
    variables = [*emb.trainable_variables, *dense.trainable_variables]
    opt = makers[optimizer]()
    start = emb.embeddings.numpy()[0].copy()
    inputs = tf.constant(CLASSIC_IDS)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(dense(emb(inputs)) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return float(np.abs(emb.embeddings.numpy()[0] - start).max())


def guide_temporal_softmax(ids=((3, 4, 0, 0),), seed: int = 0) -> dict[str, np.ndarray]:
    """The ``TemporalSoftmax`` layer of the Keras guide "Understanding masking & padding".

    Rebuilt as the guide writes it (``Embedding(10, 32, mask_zero=True)`` →
    ``Dense(1)`` → exponentials times the mask, divided by their sum over the
    *last* axis, which after ``Dense(1)`` has size 1), next to
    :func:`masked_softmax` over the time axis of the same scores.
    """
    K = get_keras()
    K.utils.set_random_seed(seed)
    ids = np.asarray(ids)
    emb = K.layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)
    dense = K.layers.Dense(1)
    scores = dense(emb(ids))
    mask = emb.compute_mask(ids)
    # The guide's call(): note the sum over axis=-1, not over time.
    broadcast_float_mask = tf.expand_dims(tf.cast(mask, "float32"), -1)
    inputs_exp = tf.exp(scores) * broadcast_float_mask
    inputs_sum = tf.reduce_sum(
        inputs_exp * broadcast_float_mask, axis=-1, keepdims=True
    )
    with np.errstate(invalid="ignore"):
        guide = (inputs_exp / inputs_sum).numpy()[..., 0]
    ours = np.asarray(masked_softmax(np.asarray(scores)[..., 0], np.asarray(mask)))
    return {"ids": ids, "guide": guide, "masked_softmax": ours}


def pad_row_under_adamw(
    padding_idx: int = 1, steps: int = 5, seed: int = 0
) -> dict[str, float]:
    """Largest magnitude in the pad row after ``steps`` of AdamW (weight decay 0.1), ours and Keras'.

    Both layers see the same batch, padded with ``padding_idx``; Keras'
    ``Embedding`` has no notion of a pad id other than 0, so its row
    ``padding_idx`` is an ordinary row.
    """
    K = get_keras()
    ids = np.array([[2, 3, 4, padding_idx], [5, padding_idx, padding_idx, padding_idx]])
    result = {}
    makers = {
        "PaddingIdxEmbedding": lambda: PaddingIdxEmbedding(
            8, 3, padding_idx=padding_idx
        ),
        "keras.layers.Embedding": lambda: K.layers.Embedding(8, 3),
    }
    for name, make in makers.items():
        K.utils.set_random_seed(
            seed
        )  # before construction: initializers draw their seeds then
        layer = make()
        layer.build((None, None))
        opt = K.optimizers.AdamW(learning_rate=0.1, weight_decay=0.1)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(ids) ** 2)
            grads = tape.gradient(loss, layer.trainable_variables)
            opt.apply_gradients(zip(grads, layer.trainable_variables, strict=True))
        result[name] = float(np.abs(layer.embeddings.numpy()[padding_idx]).max())
    return result


# --- pitfalls ------------------------------------------------------------------------------


def polarity_keras(seed: int = 0) -> dict[str, str]:
    """What ``True`` means in Keras' masks, found by running them."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    x = np.random.default_rng(seed).standard_normal((1, 3, 4)).astype("float32")
    mha = K.layers.MultiHeadAttention(num_heads=1, key_dim=4)
    marked = np.array(
        [[[True, False, False]] * 3]
    )  # (batch, query, key): only key 0 marked
    _, scores = mha(x, x, attention_mask=marked, return_attention_scores=True)
    mha_meaning = "attend" if float(np.asarray(scores)[0, 0, 0, 0]) > 0.99 else "ignore"
    emb = K.layers.Embedding(5, 2, mask_zero=True)
    embedding_mask = np.asarray(emb.compute_mask(np.array([[3, 0]])))[0]
    embedding_meaning = (
        "keep (real token)" if embedding_mask.tolist() == [True, False] else "drop"
    )
    return {
        "keras.layers.MultiHeadAttention(attention_mask=...)": mha_meaning,
        "Embedding(mask_zero=True).compute_mask": embedding_meaning,
    }


def pad_sequences_default() -> list[list[int]]:
    """``keras.utils.pad_sequences`` on ``[[1, 2, 3], [4]]`` with its defaults."""
    K = get_keras()
    return K.utils.pad_sequences([[1, 2, 3], [4]]).tolist()


def retraces(lengths: list[int], multiple_of: int | None = None) -> int:
    """How many times a ``tf.function`` traces while batches of these lengths arrive.

    With ``multiple_of``, each batch is padded up to the next multiple first
    (``pad_to_multiple_of`` in Hugging Face collators), so fewer shapes occur.
    """
    traces = []

    @tf.function(reduce_retracing=False)
    def step(batch):
        traces.append(batch.shape)  # runs only while tracing
        return tf.reduce_sum(batch)

    # TensorFlow logs a retracing warning to stderr; this function reports the count instead.
    logger = tf.get_logger()
    was_disabled, logger.disabled = logger.disabled, True
    try:
        for length in lengths:
            padded = (
                length
                if multiple_of is None
                else -(-length // multiple_of) * multiple_of
            )
            step(tf.zeros((2, padded)))
    finally:
        logger.disabled = was_disabled
    return len(traces)


# --- batching through tf.data ------------------------------------------------------------


def tf_bucket_batches(
    lengths,
    batch_size: int,
    *,
    seed: int,
    boundaries: tuple[int, ...] = (8, 16, 32, 64, 128, 256),
) -> list[np.ndarray]:
    """``tf.data.Dataset.bucket_by_sequence_length`` run by tf.data itself.

    Examples stream in shuffled order (a permutation drawn from ``seed``) into
    buckets by length; a bucket emits a batch when it holds ``batch_size``
    examples, and the leftovers are emitted at the end. Returns the example
    indices of each batch, in the order tf.data produced them.
    """
    from padguide.batching import _check_lengths, _check_positive

    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    # The upstream shuffle is numpy's: tf.data's would also depend on whatever
    # global TensorFlow seed earlier code set, and the result must depend on `seed` only.
    order = np.random.default_rng(seed).permutation(len(lengths))
    data = tf.data.Dataset.from_tensor_slices((order, lengths[order]))
    data = data.bucket_by_sequence_length(
        element_length_func=lambda index, length: tf.cast(length, tf.int32),
        bucket_boundaries=list(boundaries),
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
    )
    return [indices.numpy() for indices, _ in data]
