"""The reference implementation of the shared recipes, in NumPy.

:mod:`padguide.torch` and :mod:`padguide.keras` expose the same names with the
same meaning. Masks are ``True`` for real tokens and ``False`` for padding.
Each function is self-contained so that it can be copied into a project.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lengths_to_mask", "mask_to_lengths"]


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
        raise ValueError(f"mask must be two-dimensional (batch, time), got shape {mask.shape}")
    if mask.dtype != np.bool_:
        if mask.size and not np.isin(mask, (0, 1)).all():
            raise TypeError(f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}")
        mask = mask.astype(bool)
    return mask.sum(axis=1, dtype=np.int64)
