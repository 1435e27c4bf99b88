"""Keras 3 recipes: the shared API (same names and meaning as :mod:`padguide.numpy`), then Keras-only ones.

Written with ``keras.ops``; each imports only Keras and numpy (``densify``,
which is about a TensorFlow type, imports TensorFlow when called) and can be
copied into a project as it is. The book's Keras experiments are in
:mod:`padguide.experiments.keras` and :mod:`padguide.experiments.tensorflow`.
"""

from __future__ import annotations

import numpy as np

try:
    import keras
except ModuleNotFoundError as missing:  # the extra names what to install
    raise ImportError(
        'padguide.keras needs Keras 3 and TensorFlow: pip install "padguide[tensorflow]"'
    ) from missing

__all__ = [
    "MaskedDense",
    "PaddingIdxEmbedding",
    "attention_mask",
    "densify",
    "lengths_to_mask",
    "mask_to_lengths",
    "masked_cross_entropy",
    "masked_max",
    "masked_mean",
    "masked_softmax",
    "masked_sum",
    "to_left_padding",
    "to_right_padding",
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


def densify(gradient):
    """A dense tensor from a gradient that may be a ``tf.IndexedSlices``.

    Duplicate indices are summed, as a gradient requires (one slice per lookup).

    >>> import tensorflow as tf
    >>> g = tf.IndexedSlices(tf.ones((3, 2)), tf.constant([1, 1, 0]), tf.constant([3, 2]))
    >>> densify(g).numpy().tolist()
    [[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]
    """
    import tensorflow as tf

    if isinstance(gradient, tf.IndexedSlices):
        return tf.convert_to_tensor(gradient)
    if isinstance(gradient, tf.Tensor | tf.Variable | np.ndarray):
        return tf.convert_to_tensor(gradient)
    raise TypeError(
        f"gradient must be a tf.IndexedSlices or a tensor, got {type(gradient).__name__}"
    )
