"""The reference implementation of the shared recipes, in NumPy.

:mod:`padguide.torch` and :mod:`padguide.keras` expose the same names with the
same meaning. Masks are ``True`` for real tokens and ``False`` for padding.
Each function is self-contained so that it can be copied into a project.
"""

from __future__ import annotations

import numpy as np

__all__ = [
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


def lengths_to_mask(lengths, max_len: int | None = None) -> np.ndarray:
    """A ``(batch, max_len)`` boolean mask, ``True`` where a row has a real token.

    Tokens are assumed to sit on the left of each row (right padding).
    ``max_len`` defaults to the longest length; a length over it, or a
    negative length, raises :class:`ValueError`.

    >>> lengths_to_mask([3, 1, 0], max_len=4)
    array([[ True,  True,  True, False],
           [ True, False, False, False],
           [False, False, False, False]])
    """
    try:
        lengths = np.asarray(lengths)
    except ValueError:
        raise ValueError(
            "lengths must be a flat sequence of integers, got nested sequences"
        ) from None
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be one-dimensional, got shape {lengths.shape}")
    if lengths.size and not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    lengths = lengths.astype(np.int64)
    if lengths.size and lengths.min() < 0:
        i = int(np.argmin(lengths))
        raise ValueError(f"lengths[{i}]={lengths[i]} is negative")
    longest = int(lengths.max()) if lengths.size else 0
    if max_len is None:
        max_len = longest
    elif isinstance(max_len, bool) or not isinstance(max_len, int | np.integer):
        raise TypeError(f"max_len must be an int or None, got {type(max_len).__name__}")
    elif max_len < 0:
        raise ValueError(f"max_len must be >= 0, got {max_len}")
    elif longest > max_len:
        i = int(np.argmax(lengths))
        raise ValueError(f"lengths[{i}]={lengths[i]} exceeds max_len={max_len}")
    return np.arange(int(max_len)) < lengths[:, None]


def mask_to_lengths(mask) -> np.ndarray:
    """The number of real tokens in each row of a ``(batch, time)`` mask.

    The mask may be boolean or hold only 0 and 1. Counting works for left
    and right padding alike.

    >>> mask_to_lengths([[True, True, False], [False, True, True]])
    array([2, 2])
    """
    try:
        mask = np.asarray(mask)
    except ValueError:
        rows = [len(row) for row in mask]
        raise ValueError(
            f"mask must be rectangular (batch, time), got rows of lengths {rows}"
        ) from None
    if mask.ndim != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {mask.shape}"
        )
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    return mask.sum(axis=1, dtype=np.int64)


def masked_sum(x, mask) -> np.ndarray:
    """Sum over the time axis of the real tokens only.

    ``x`` is ``(batch, time)`` or ``(batch, time, features)``; ``mask`` is
    ``(batch, time)``, ``True`` for real tokens. A row with no real token sums
    to 0. Values at padded positions are never read, even if NaN.

    >>> masked_sum([[1.0, 2.0, 99.0]], [[True, True, False]])
    array([3.])
    """
    x, mask = np.asarray(x), np.asarray(mask)
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    if x.ndim not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {x.shape} and mask {mask.shape}"
        )
    # float16 sums run in float32 (a float16 running sum overflows past 65,504).
    wide = np.float32 if x.dtype == np.float16 else None
    if x.ndim == 3:
        mask = mask[:, :, None]
    return np.where(mask, x, 0).sum(axis=1, dtype=wide).astype(x.dtype)


def masked_mean(x, mask) -> np.ndarray:
    """Mean over the time axis of the real tokens only; 0 for a row with none.

    >>> masked_mean([[1.0, 2.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]])
    array([1.5, 0. ])
    """
    x, mask = np.asarray(x), np.asarray(mask)
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    if x.ndim not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {x.shape} and mask {mask.shape}"
        )
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64
    wide = np.float32 if dtype == np.float16 else dtype  # float16 sums in float32
    count = mask.sum(axis=1).astype(wide)
    if x.ndim == 3:
        mask, count = mask[:, :, None], count[:, None]
    total = np.where(mask, x, 0).sum(axis=1, dtype=wide)
    return (total / np.maximum(count, 1)).astype(dtype)


def masked_max(x, mask) -> np.ndarray:
    """Maximum over the time axis of the real tokens only; 0 for a row with none.

    >>> masked_max([[-3.0, -1.0, 99.0], [5.0, 5.0, 5.0]], [[1, 1, 0], [0, 0, 0]])
    array([-1.,  0.])
    """
    x, mask = np.asarray(x), np.asarray(mask)
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    if x.ndim not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {x.shape} and mask {mask.shape}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    any_real = mask.any(axis=1)
    if x.ndim == 3:
        mask, any_real = mask[:, :, None], any_real[:, None]
    # The dtype's lowest finite value, not -inf or -1e9: finite in float16 too.
    lowest = np.where(mask, x, np.finfo(x.dtype).min).max(
        axis=1, initial=np.finfo(x.dtype).min
    )
    return np.where(any_real, lowest, 0).astype(x.dtype)


def masked_softmax(scores, mask) -> np.ndarray:
    """Softmax over the last axis that gives masked positions probability 0.

    ``mask``'s first axis is the batch and its last axis the scores' last
    axis; missing axes between them are inserted, so a ``(batch, time)`` mask
    serves ``(batch, heads, query, time)`` scores. A row with no unmasked
    position gives all zeros, never NaN.

    >>> masked_softmax([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], [[1, 1, 0], [0, 0, 0]])
    array([[0.5, 0.5, 0. ],
           [0. , 0. , 0. ]])
    """
    scores, mask = np.asarray(scores), np.asarray(mask)
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    if not np.issubdtype(scores.dtype, np.floating):
        raise TypeError(f"scores must be floating point, got dtype {scores.dtype}")
    if (
        not 2 <= mask.ndim <= scores.ndim
        or mask.shape[0] != scores.shape[0]
        or mask.shape[-1] != scores.shape[-1]
    ):
        raise ValueError(
            f"mask must be (batch, ..., time) for scores (batch, ..., time), got mask {mask.shape} and scores {scores.shape}"
        )
    mask = mask.reshape(
        mask.shape[:1] + (1,) * (scores.ndim - mask.ndim) + mask.shape[1:]
    )
    dtype = scores.dtype
    scores = scores.astype(np.float32) if dtype == np.float16 else scores
    lowest = np.finfo(scores.dtype).min  # finite, unlike -inf; float16 runs in float32
    filled = np.where(mask, scores, lowest)
    largest = filled.max(axis=-1, keepdims=True, initial=lowest)
    exp = np.exp(filled - largest) * mask
    total = exp.sum(axis=-1, keepdims=True)
    return (exp / np.where(total > 0, total, 1)).astype(dtype)


def to_left_padding(x, lengths) -> np.ndarray:
    """Move each row's real tokens from the start of the row to its end.

    ``x`` is right-padded, ``(batch, time)`` or ``(batch, time, features)``;
    the padding slots move to the front with their values.

    >>> to_left_padding([[7, 8, 0, 0], [5, 6, 7, 0]], [2, 3])
    array([[0, 0, 7, 8],
           [0, 5, 6, 7]])
    """
    x, lengths = np.asarray(x), np.asarray(lengths)
    if x.ndim not in (2, 3) or lengths.shape != x.shape[:1]:
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {x.shape} and lengths {lengths.shape}"
        )
    if lengths.size and not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.size and (lengths.min() < 0 or lengths.max() > x.shape[1]):
        raise ValueError(
            f"lengths must lie in [0, {x.shape[1]}] (the time axis), got {lengths.tolist()}"
        )
    time = x.shape[1]
    index = (np.arange(time)[None, :] - (time - lengths)[:, None]) % max(time, 1)
    if x.ndim == 3:
        index = index[:, :, None]
    return np.take_along_axis(x, index, axis=1)


def to_right_padding(x, lengths) -> np.ndarray:
    """Move each row's real tokens from the end of the row to its start.

    The inverse of :func:`to_left_padding`.

    >>> to_right_padding([[0, 0, 7, 8], [0, 5, 6, 7]], [2, 3])
    array([[7, 8, 0, 0],
           [5, 6, 7, 0]])
    """
    x, lengths = np.asarray(x), np.asarray(lengths)
    if x.ndim not in (2, 3) or lengths.shape != x.shape[:1]:
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {x.shape} and lengths {lengths.shape}"
        )
    if lengths.size and not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.size and (lengths.min() < 0 or lengths.max() > x.shape[1]):
        raise ValueError(
            f"lengths must lie in [0, {x.shape[1]}] (the time axis), got {lengths.tolist()}"
        )
    time = x.shape[1]
    index = (np.arange(time)[None, :] + (time - lengths)[:, None]) % max(time, 1)
    if x.ndim == 3:
        index = index[:, :, None]
    return np.take_along_axis(x, index, axis=1)


def masked_cross_entropy(logits, targets, mask) -> float | np.ndarray:
    """Mean cross-entropy over the real tokens; 0 for a batch with none.

    ``logits`` is ``(batch, time, classes)``, ``targets`` ``(batch, time)``
    class ids (any value at padded positions), ``mask`` ``(batch, time)``.
    Equals PyTorch's ``cross_entropy(ignore_index=pad)`` and Keras'
    ``SparseCategoricalCrossentropy(ignore_class=pad)`` when the mask is
    ``targets != pad``, except that an all-padding batch gives 0, not NaN.

    >>> logits = np.log([[[0.5, 0.5], [0.9, 0.1]]])
    >>> round(float(masked_cross_entropy(logits, [[0, 1]], [[1, 0]])), 4)
    0.6931
    """
    logits, targets, mask = np.asarray(logits), np.asarray(targets), np.asarray(mask)
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask.astype(bool)
    if (
        logits.ndim != 3
        or targets.shape != logits.shape[:2]
        or mask.shape != targets.shape
    ):
        raise ValueError(
            f"expected logits (batch, time, classes), targets and mask (batch, time), got {logits.shape}, {targets.shape}, {mask.shape}"
        )
    if targets.dtype == np.bool_ or not (
        np.issubdtype(targets.dtype, np.integer)
        or (
            np.issubdtype(targets.dtype, np.floating)
            and (targets == np.round(targets)).all()
        )
    ):  # whole-number floats pass: Keras hands a loss its y_true as floats
        raise TypeError(
            f"targets must hold integer class ids, got dtype {targets.dtype}"
        )
    targets = targets.astype(np.int64)
    real = targets[mask]
    if real.size and (real.min() < 0 or real.max() >= logits.shape[-1]):
        raise ValueError(
            f"targets at real positions must lie in [0, {logits.shape[-1]}), got {real.min()}..{real.max()}"
        )
    dtype = logits.dtype if np.issubdtype(logits.dtype, np.floating) else np.float64
    logits = logits.astype(
        np.float32 if dtype == np.float16 else dtype
    )  # sums in float32
    shifted = logits - logits.max(
        axis=-1, keepdims=True, initial=np.finfo(logits.dtype).min
    )
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(
        log_probs, np.where(mask, targets, 0)[..., None], axis=-1
    )[..., 0]
    return dtype.type(-np.where(mask, picked, 0).sum() / max(int(mask.sum()), 1))
