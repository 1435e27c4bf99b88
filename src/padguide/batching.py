"""Turning variable-length id sequences into a rectangular batch (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

__all__ = ["pad"]


def _as_id_row(seq: object, index: int) -> np.ndarray:
    row = np.asarray(seq)
    if row.ndim != 1:
        raise ValueError(
            f"sequences[{index}] must be one-dimensional, got shape {row.shape}"
        )
    if row.size and not np.issubdtype(row.dtype, np.integer):
        raise TypeError(
            f"sequences[{index}] must hold integer ids, got dtype {row.dtype}"
        )
    row = row.astype(np.int64)
    if row.size and row.min() < 0:
        j = int(np.argmin(row))
        raise ValueError(
            f"sequences[{index}][{j}]={row[j]} is negative; ids start at 0"
        )
    return row


def pad(
    sequences: Sequence[Sequence[int]],
    pad_id: int = 0,
    side: Literal["right", "left"] = "right",
    length: int | None = None,
) -> np.ndarray:
    """Pad id sequences to one length and stack them into a ``(batch, time)`` array.

    Parameters
    ----------
    sequences
        Token-id sequences of any lengths (lists or 1-D integer arrays).
    pad_id
        The id written into the padded slots (``Vocab.pad_id`` is 0).
    side
        ``"right"`` keeps each sequence at the start of its row (PyTorch's
        habit); ``"left"`` keeps it at the end (``keras.utils.pad_sequences``'
        default, and what batched generation with decoder models wants).
    length
        Width of the batch; by default the longest sequence. A sequence longer
        than ``length`` raises :class:`ValueError`: padding never truncates.

    Examples
    --------
    >>> pad([[5, 3, 2], [4]])
    array([[5, 3, 2],
           [4, 0, 0]])
    >>> pad([[5, 3, 2], [4]], side="left", length=4)
    array([[0, 5, 3, 2],
           [0, 0, 0, 4]])
    """
    if isinstance(sequences, (str, bytes)) or not isinstance(
        sequences, Sequence | np.ndarray
    ):
        raise TypeError(
            f"sequences must be a sequence of id sequences, got {type(sequences).__name__}"
        )
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    if isinstance(pad_id, bool) or not isinstance(pad_id, int | np.integer):
        raise TypeError(f"pad_id must be an int, got {type(pad_id).__name__}")
    if pad_id < 0:
        raise ValueError(f"pad_id must be >= 0, got {pad_id}")
    rows = [_as_id_row(seq, i) for i, seq in enumerate(sequences)]
    longest = max((len(r) for r in rows), default=0)
    if length is None:
        length = longest
    elif isinstance(length, bool) or not isinstance(length, int | np.integer):
        raise TypeError(f"length must be an int or None, got {type(length).__name__}")
    elif length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    out = np.full((len(rows), int(length)), pad_id, dtype=np.int64)
    for i, row in enumerate(rows):
        if len(row) > length:
            raise ValueError(
                f"sequences[{i}] has {len(row)} ids, more than length={length}; pad never truncates"
            )
        if side == "right":
            out[i, : len(row)] = row
        else:
            out[i, length - len(row) :] = row
    return out
