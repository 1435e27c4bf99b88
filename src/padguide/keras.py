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
# Written with keras.ops, so they run on any Keras 3 backend, inside compiled
# functions and in models whose batch and time are unknown (None). Values are
# checked when they are concrete (NumPy, lists, eager tensors of any backend),
# where a check's outcome converts to a Python bool. While tracing (tf.function,
# XLA, JAX jit, a functional model being built) that conversion raises, and only
# shapes and dtypes are checked, so a graph never breaks. Shapes are read with
# ``keras.ops.shape``; float16/bfloat16 inputs are summed and normalised in float32.


def lengths_to_mask(lengths, max_len=None):
    """A ``(batch, max_len)`` boolean mask, ``True`` where a row has a real token.

    ``max_len`` is an int, a scalar tensor (``keras.ops.shape(x)[1]``) or
    ``None`` for the longest length.

    >>> keras.ops.convert_to_numpy(lengths_to_mask([3, 1, 0], max_len=4)).astype(int)
    array([[1, 1, 1, 0],
           [1, 0, 0, 0],
           [0, 0, 0, 0]])
    """
    lengths = keras.ops.convert_to_tensor(lengths)
    if len(lengths.shape) != 1:
        raise ValueError(
            f"lengths must be one-dimensional, got shape {tuple(lengths.shape)}"
        )
    if lengths.shape[0] != 0 and "int" not in keras.backend.standardize_dtype(
        lengths.dtype
    ):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if isinstance(max_len, bool) or (isinstance(max_len, int) and max_len < 0):
        raise ValueError(f"max_len must be an int >= 0, got {max_len!r}")
    try:  # values are checked when concrete; while tracing they are unknown
        negative = bool(keras.ops.any(lengths < 0))
        too_long = isinstance(max_len, int) and bool(keras.ops.any(lengths > max_len))
    except (RuntimeError, TypeError):
        negative = too_long = False
    if negative or too_long:
        values = keras.ops.convert_to_numpy(lengths)
        i = int(np.argmin(values) if negative else np.argmax(values))
        problem = "is negative" if negative else f"exceeds max_len={max_len}"
        raise ValueError(f"lengths[{i}]={values[i]} {problem}")
    lengths = keras.ops.cast(lengths, "int32")
    if max_len is None:
        max_len = keras.ops.max(lengths, initial=0)
    positions = keras.ops.arange(max_len, dtype="int32")
    return keras.ops.expand_dims(positions, 0) < keras.ops.expand_dims(lengths, 1)


def mask_to_lengths(mask):
    """The number of real tokens in each row of a ``(batch, time)`` mask.

    >>> keras.ops.convert_to_numpy(mask_to_lengths([[True, True, False], [False, True, True]]))
    array([2, 2], dtype=int32)
    """
    mask = keras.ops.convert_to_tensor(mask)
    if len(mask.shape) != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    return keras.ops.sum(keras.ops.cast(mask, "int32"), axis=1)


def masked_sum(x, mask):
    """Sum over the time axis of the real tokens only; 0 for a row with none.

    >>> keras.ops.convert_to_numpy(masked_sum([[1.0, 2.0, 99.0]], [[True, True, False]]))
    array([3.], dtype=float32)
    """
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    if not (len(x.shape) in (2, 3) and len(mask.shape) == 2) or any(
        a is not None and b is not None and a != b
        for a, b in zip(mask.shape, x.shape[:2], strict=True)
    ):  # static shapes: unknown (None) sizes are left to the framework
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    dtype = keras.backend.standardize_dtype(x.dtype)
    wide = "float32" if dtype in ("float16", "bfloat16") else dtype
    if len(x.shape) == 3:
        mask = keras.ops.expand_dims(mask, -1)
    x = keras.ops.cast(x, wide)
    total = keras.ops.sum(keras.ops.where(mask, x, keras.ops.zeros_like(x)), axis=1)
    return keras.ops.cast(total, dtype)


def masked_mean(x, mask):
    """Mean over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    >>> keras.ops.convert_to_numpy(masked_mean([[1.0, 2.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]]))
    array([1.5, 0. ], dtype=float32)
    """
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    if not (len(x.shape) in (2, 3) and len(mask.shape) == 2) or any(
        a is not None and b is not None and a != b
        for a, b in zip(mask.shape, x.shape[:2], strict=True)
    ):  # static shapes: unknown (None) sizes are left to the framework
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    dtype = keras.backend.standardize_dtype(x.dtype)
    dtype = dtype if "float" in dtype else "float32"
    wide = "float64" if dtype == "float64" else "float32"
    count = keras.ops.sum(keras.ops.cast(mask, wide), axis=1)
    if len(x.shape) == 3:
        mask, count = keras.ops.expand_dims(mask, -1), keras.ops.expand_dims(count, -1)
    x = keras.ops.cast(x, wide)
    total = keras.ops.sum(keras.ops.where(mask, x, keras.ops.zeros_like(x)), axis=1)
    return keras.ops.cast(total / keras.ops.maximum(count, 1), dtype)


def masked_max(x, mask):
    """Maximum over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    >>> keras.ops.convert_to_numpy(masked_max([[-3.0, -1.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]]))
    array([-1.,  0.], dtype=float32)
    """
    x, mask = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    if not (len(x.shape) in (2, 3) and len(mask.shape) == 2) or any(
        a is not None and b is not None and a != b
        for a, b in zip(mask.shape, x.shape[:2], strict=True)
    ):  # static shapes: unknown (None) sizes are left to the framework
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    dtype = keras.backend.standardize_dtype(x.dtype)
    dtype = dtype if "float" in dtype else "float32"
    wide = "float64" if dtype == "float64" else "float32"  # NumPy has no bfloat16
    x = keras.ops.cast(x, wide)
    any_real = keras.ops.any(mask, axis=1)
    if len(x.shape) == 3:
        mask = keras.ops.expand_dims(mask, -1)
        any_real = keras.ops.expand_dims(any_real, -1)
    if 0 in tuple(x.shape[:2]):  # max of nothing: TensorFlow refuses, the answer is 0
        return keras.ops.cast(keras.ops.sum(x, axis=1), dtype)
    # The lowest finite value, not -inf or -1e9 (float16 inputs run in float32).
    lowest = keras.ops.full_like(x, float(np.finfo(wide).min))
    largest = keras.ops.max(keras.ops.where(mask, x, lowest), axis=1)
    largest = keras.ops.where(any_real, largest, keras.ops.zeros_like(largest))
    return keras.ops.cast(largest, dtype)


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
    scores = keras.ops.convert_to_tensor(scores)
    mask = keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    dtype = keras.backend.standardize_dtype(scores.dtype)
    if "float" not in dtype:
        raise TypeError(f"scores must be floating point, got dtype {scores.dtype}")
    m, s = tuple(mask.shape), tuple(scores.shape)
    if not 2 <= len(m) <= len(s) or any(
        a is not None and b is not None and a != b
        for a, b in ((m[0], s[0]), (m[-1], s[-1]))
    ):
        raise ValueError(
            f"mask must be (batch, ..., time) for scores (batch, ..., time), got mask {m} and scores {s}"
        )
    for _ in range(len(s) - len(m)):  # (batch, time) -> (batch, 1, ..., time)
        mask = keras.ops.expand_dims(mask, 1)
    if 0 in s:  # nothing to normalise (and TensorFlow refuses the max of nothing)
        return keras.ops.zeros_like(scores)
    wide = "float64" if dtype == "float64" else "float32"  # float16 runs in float32
    scores = keras.ops.cast(scores, wide)
    lowest = keras.ops.full_like(scores, float(np.finfo(wide).min))
    filled = keras.ops.where(mask, scores, lowest)
    exp = keras.ops.exp(filled - keras.ops.max(filled, axis=-1, keepdims=True))
    exp = keras.ops.where(mask, exp, keras.ops.zeros_like(exp))
    total = keras.ops.sum(exp, axis=-1, keepdims=True)
    probs = exp / keras.ops.where(total > 0, total, keras.ops.ones_like(total))
    return keras.ops.cast(probs, dtype)


def to_left_padding(x, lengths):
    """Move each row's real tokens from the start of the row to its end.

    >>> keras.ops.convert_to_numpy(to_left_padding([[7, 8, 0, 0], [5, 6, 7, 0]], [2, 3]))
    array([[0, 0, 7, 8],
           [0, 5, 6, 7]], dtype=int32)
    """
    x, lengths = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(lengths)
    if (
        len(x.shape) not in (2, 3)
        or len(lengths.shape) != 1
        or (
            None not in (x.shape[0], lengths.shape[0])
            and x.shape[0] != lengths.shape[0]
        )
    ):
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.shape[0] != 0 and "int" not in keras.backend.standardize_dtype(
        lengths.dtype
    ):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = keras.ops.shape(x)[1]  # symbolic when the time axis is None
    try:  # values are checked when concrete; while tracing they are unknown
        bad = bool(keras.ops.any(keras.ops.logical_or(lengths < 0, lengths > time)))
    except (RuntimeError, TypeError):
        bad = False
    if bad:
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {keras.ops.convert_to_numpy(lengths).tolist()}"
        )
    index = keras.ops.expand_dims(keras.ops.arange(time, dtype="int32"), 0)
    index = index + keras.ops.expand_dims(keras.ops.cast(lengths, "int32"), 1)
    index = keras.ops.where(index >= time, index - time, index)  # rotate right
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
    x, lengths = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(lengths)
    if (
        len(x.shape) not in (2, 3)
        or len(lengths.shape) != 1
        or (
            None not in (x.shape[0], lengths.shape[0])
            and x.shape[0] != lengths.shape[0]
        )
    ):
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.shape[0] != 0 and "int" not in keras.backend.standardize_dtype(
        lengths.dtype
    ):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = keras.ops.shape(x)[1]  # symbolic when the time axis is None
    try:  # values are checked when concrete; while tracing they are unknown
        bad = bool(keras.ops.any(keras.ops.logical_or(lengths < 0, lengths > time)))
    except (RuntimeError, TypeError):
        bad = False
    if bad:
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {keras.ops.convert_to_numpy(lengths).tolist()}"
        )
    index = keras.ops.expand_dims(keras.ops.arange(time, dtype="int32"), 0)
    index = index - keras.ops.expand_dims(keras.ops.cast(lengths, "int32"), 1)
    index = keras.ops.where(index < 0, index + time, index)  # rotate left
    if len(x.shape) == 3:
        index = keras.ops.broadcast_to(
            keras.ops.expand_dims(index, -1), keras.ops.shape(x)
        )
    return keras.ops.take_along_axis(x, index, axis=1)


def masked_cross_entropy(logits, targets, mask):
    """Mean cross-entropy over the real tokens; 0 (not NaN) for a batch with none.

    Equals ``SparseCategoricalCrossentropy(from_logits=True, ignore_class=pad)``
    when ``mask`` is ``targets != pad``. Targets may be whole-number floats, as
    Keras passes ``y_true`` to a loss given to ``compile``.

    >>> logits = np.log([[[0.5, 0.5], [0.9, 0.1]]]).astype("float32")
    >>> round(float(masked_cross_entropy(logits, [[0, 1]], [[1, 0]])), 4)
    0.6931
    """
    logits = keras.ops.convert_to_tensor(logits)
    targets = keras.ops.convert_to_tensor(targets)
    mask = keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    shapes = tuple(logits.shape), tuple(targets.shape), tuple(mask.shape)
    if (
        len(shapes[0]) != 3
        or len(shapes[1]) != 2
        or len(shapes[2]) != 2
        or any(
            a is not None and b is not None and a != b
            for a, b in zip(
                shapes[0][:2] + shapes[1], shapes[1] + shapes[2], strict=True
            )
        )
    ):
        raise ValueError(
            f"expected logits (batch, time, classes), targets and mask (batch, time), got {shapes}"
        )
    kind = keras.backend.standardize_dtype(targets.dtype)
    if kind == "bool" or not ("int" in kind or "float" in kind):
        raise TypeError(f"targets must hold integer class ids, got dtype {kind}")
    classes = keras.ops.shape(logits)[-1]
    try:  # values are checked when concrete; while tracing they are unknown
        # whole-number floats pass: Keras hands a loss its y_true as floats
        fractional = "float" in kind and bool(
            keras.ops.any(targets != keras.ops.round(targets))
        )
        outside = keras.ops.logical_or(targets < 0, targets >= classes)
        outside = bool(keras.ops.any(keras.ops.logical_and(mask, outside)))
    except (RuntimeError, TypeError):
        fractional = outside = False
    if fractional:
        raise TypeError(
            f"targets must hold integer class ids, got dtype {kind} with fractions"
        )
    if outside:
        real = keras.ops.convert_to_numpy(targets)[keras.ops.convert_to_numpy(mask)]
        raise ValueError(
            f"targets at real positions must lie in [0, {classes}), got {real.min()}..{real.max()}"
        )
    dtype = keras.backend.standardize_dtype(logits.dtype)
    dtype = dtype if "float" in dtype else "float32"
    wide = "float64" if dtype == "float64" else "float32"  # float16 sums in float32
    log_probs = keras.ops.log_softmax(keras.ops.cast(logits, wide), axis=-1)
    targets = keras.ops.cast(targets, "int32")
    safe_targets = keras.ops.where(mask, targets, keras.ops.zeros_like(targets))
    picked = keras.ops.take_along_axis(
        log_probs, keras.ops.expand_dims(safe_targets, -1), axis=-1
    )[..., 0]
    total = keras.ops.sum(keras.ops.where(mask, picked, keras.ops.zeros_like(picked)))
    count = keras.ops.sum(keras.ops.cast(mask, wide))
    return keras.ops.cast(-total / keras.ops.maximum(count, 1), dtype)


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
    mask = keras.ops.convert_to_tensor(mask)
    if keras.backend.standardize_dtype(mask.dtype) != "bool":
        try:  # values are checked when concrete; while tracing they are unknown
            bad = bool(keras.ops.any(keras.ops.logical_and(mask != 0, mask != 1)))
        except (RuntimeError, TypeError):
            bad = False
        if bad:
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = keras.ops.not_equal(mask, 0)
    if len(mask.shape) != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    steps = keras.ops.arange(keras.ops.shape(mask)[1])  # symbolic when time is None
    queries = keras.ops.expand_dims(steps, 1)  # (time, 1)
    # (time, time) lower triangle when causal, else (time, 1) all True
    allowed = queries >= keras.ops.expand_dims(steps, 0) if causal else queries >= 0
    attend = keras.ops.logical_and(
        keras.ops.expand_dims(mask, 1), keras.ops.expand_dims(allowed, 0)
    )
    # A row that may attend nothing makes softmax NaN: let such queries attend everything.
    empty = keras.ops.logical_not(keras.ops.any(attend, axis=-1, keepdims=True))
    return keras.ops.logical_or(attend, empty)


@keras.saving.register_keras_serializable(package="padguide")
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
        weights = keras.ops.convert_to_tensor(weights)  # a variable's value (JAX)
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
        try:  # concrete ids are checked (Keras' take would wrap -1 to the last row)
            outside = keras.ops.logical_or(ids < 0, ids >= self.input_dim)
            bad = bool(keras.ops.any(outside))
        except (RuntimeError, TypeError):  # symbolic while tracing: no values yet
            bad = False
        if bad:
            values = keras.ops.convert_to_numpy(ids)
            raise ValueError(
                f"ids must lie in [0, input_dim={self.input_dim}), got {values.min()}..{values.max()}"
            )
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


@keras.saving.register_keras_serializable(package="padguide")
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
