"""Turning variable-length id sequences into a rectangular batch (numpy only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "Packing",
    "allennlp_bucket_batches",
    "attention_efficiency",
    "batchmate_overlap",
    "bucket_batches",
    "fairseq_max_tokens_batches",
    "hf_megabatch_batches",
    "length_correlation",
    "pack",
    "pad",
    "padding_efficiency",
    "random_batches",
    "sorted_batches",
    "token_budget_batches",
    "torchtext_pool_batches",
]


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


# --- batches: each sampler returns index arrays that cover every example exactly once ------


def _check_lengths(lengths) -> np.ndarray:
    try:
        lengths = np.asarray(lengths)
    except ValueError:
        raise ValueError("lengths must be a flat sequence of integers") from None
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be one-dimensional, got shape {lengths.shape}")
    if lengths.size and not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if lengths.size and lengths.min() < 1:
        i = int(np.argmin(lengths))
        raise ValueError(
            f"lengths[{i}]={lengths[i]}: every sequence needs at least 1 token"
        )
    return lengths.astype(np.int64)


def _check_positive(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _check_fits(lengths, name: str, limit) -> tuple[np.ndarray, int]:
    """Valid lengths and a positive ``limit`` that every one of them fits within."""
    lengths = _check_lengths(lengths)
    limit = _check_positive(name, limit)
    if lengths.size and lengths.max() > limit:
        i = int(np.argmax(lengths))
        raise ValueError(f"lengths[{i}]={lengths[i]} exceeds {name}={limit}")
    return lengths, limit


def _chunks(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def random_batches(lengths, batch_size: int, *, seed: int) -> list[np.ndarray]:
    """Batches of a random permutation: the baseline every method is compared with."""
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    return _chunks(np.random.default_rng(seed).permutation(len(lengths)), batch_size)


def sorted_batches(lengths, batch_size: int) -> list[np.ndarray]:
    """Batches of the examples sorted by length: the least padding at a fixed batch size.

    Deterministic, so every epoch sees the same batches; it is the reference
    for efficiency, not a sampler to train with.
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    return _chunks(np.argsort(lengths, kind="stable"), batch_size)


def bucket_batches(
    lengths, batch_size: int, *, seed: int, width: float = 0.6
) -> list[np.ndarray]:
    """padguide's sampler: buckets of similar length that move every epoch.

    Examples are put in buckets by ``log(length)``, each bucket ``width`` wide
    (its longest member at most ``exp(width)`` times its shortest), with the
    bucket edges shifted by a random offset drawn for every seed (one seed per
    epoch). Each bucket is shuffled and cut into batches of ``batch_size``; its
    last batch may be smaller, as in tf.data's ``bucket_by_sequence_length``.
    The batches are then shuffled.

    ``width`` is the one knob: narrower buckets pad less, wider ones mix more
    examples from epoch to epoch. Noise in log space treats short and long
    sequences alike: a 3-token and a 4-token speech mix as readily as 300 and
    400 tokens.

    >>> batches = bucket_batches([3, 4, 50, 60, 5, 55], batch_size=2, seed=0)
    >>> sorted(sorted(b.tolist()) for b in batches)
    [[0, 1], [2, 5], [3], [4]]
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    if not width > 0:
        raise ValueError(f"width must be > 0, got {width}")
    rng = np.random.default_rng(seed)
    bucket = np.floor((np.log(lengths) + rng.uniform(0, width)) / width).astype(
        np.int64
    )
    order = np.lexsort((rng.random(len(lengths)), bucket))  # by bucket, shuffled within
    batches = []
    for members in np.split(order, np.flatnonzero(np.diff(bucket[order])) + 1):
        batches.extend(_chunks(members, batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def token_budget_batches(
    lengths, max_tokens: int, *, seed: int, width: float | None = 0.6
) -> list[np.ndarray]:
    """Batches of varying size whose padded size (count × longest) stays within ``max_tokens``.

    Examples are ordered by the moving buckets of :func:`bucket_batches`
    (shuffled within each bucket, buckets by length), or at random with
    ``width=None``, then cut greedily; batch order is shuffled. Equal padded
    slots per step make steps cost about the same, whatever their lengths.
    """
    lengths, max_tokens = _check_fits(lengths, "max_tokens", max_tokens)
    rng = np.random.default_rng(seed)
    if width is None:
        order = rng.permutation(len(lengths))
    else:
        bucket = np.floor((np.log(lengths) + rng.uniform(0, width)) / width)
        order = np.lexsort((rng.random(len(lengths)), bucket))
    return _fill_budget(lengths, order, max_tokens, rng)


def _fill_budget(lengths, order, max_tokens, rng) -> list[np.ndarray]:
    """Cut ``order`` greedily into batches of at most ``max_tokens`` padded slots; shuffle them."""
    batches, current, longest = [], [], 0
    for i in order:
        new_longest = max(longest, int(lengths[i]))
        if current and (len(current) + 1) * new_longest > max_tokens:
            batches.append(np.array(current))
            current, new_longest = [], int(lengths[i])
        current.append(int(i))
        longest = new_longest
    if current:
        batches.append(np.array(current))
    return [batches[i] for i in rng.permutation(len(batches))]


# --- the anchors, re-implemented from their published descriptions --------------------------


def hf_megabatch_batches(lengths, batch_size: int, *, seed: int) -> list[np.ndarray]:
    """Hugging Face ``group_by_length`` (``get_length_grouped_indices``).

    A random permutation cut into megabatches of ``min(n // (4·bs), 50) · bs``;
    each megabatch sorted by length, longest first, and cut into batches; the
    batch holding the longest example moved to the front.
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    mult = max(min(len(lengths) // (batch_size * 4), 50), 1)
    mega = mult * batch_size
    batches = []
    for start in range(0, len(order), mega):
        group = order[start : start + mega]
        group = group[np.argsort(-lengths[group], kind="stable")]
        batches.extend(_chunks(group, batch_size))
    if batches:
        longest = max(range(len(batches)), key=lambda b: lengths[batches[b]].max())
        batches[0], batches[longest] = batches[longest], batches[0]
    return batches


def torchtext_pool_batches(lengths, batch_size: int, *, seed: int) -> list[np.ndarray]:
    """torchtext's legacy ``BucketIterator``: pools of ``100·bs`` from a shuffled stream.

    Each pool is sorted by length and cut into batches; the batches are shuffled.
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    batches = []
    for start in range(0, len(order), 100 * batch_size):
        pool = order[start : start + 100 * batch_size]
        batches.extend(
            _chunks(pool[np.argsort(lengths[pool], kind="stable")], batch_size)
        )
    return [batches[i] for i in rng.permutation(len(batches))]


def allennlp_bucket_batches(
    lengths, batch_size: int, *, seed: int, padding_noise: float = 0.1
) -> list[np.ndarray]:
    """AllenNLP's ``BucketBatchSampler``: sort by length × (1 ± noise), batch, shuffle batches."""
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    rng = np.random.default_rng(seed)
    noisy = lengths * (1 + rng.uniform(-padding_noise, padding_noise, len(lengths)))
    batches = _chunks(np.argsort(noisy, kind="stable"), batch_size)
    return [batches[i] for i in rng.permutation(len(batches))]


def fairseq_max_tokens_batches(
    lengths, max_tokens: int, *, seed: int
) -> list[np.ndarray]:
    """fairseq's ``batch_by_size`` with ``max_tokens``.

    A random permutation, stably sorted by length (ties stay random), filled
    while ``(n + 1) · max_len <= max_tokens``; batches shuffled.
    """
    lengths, max_tokens = _check_fits(lengths, "max_tokens", max_tokens)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    order = order[np.argsort(lengths[order], kind="stable")]
    return _fill_budget(lengths, order, max_tokens, rng)


# --- metrics -----------------------------------------------------------------------------------


def padding_efficiency(lengths, batches) -> float:
    """Real tokens / token slots computed (each batch padded to its longest sequence)."""
    lengths = _check_lengths(lengths)
    slots = sum(len(b) * int(lengths[b].max()) for b in batches if len(b))
    return float(lengths.sum() / slots) if slots else 1.0


def attention_efficiency(lengths, batches) -> float:
    """Useful attention scores / computed ones: sum of Lᵢ² against batch × longest²."""
    lengths = _check_lengths(lengths)
    computed = sum(len(b) * int(lengths[b].max()) ** 2 for b in batches if len(b))
    return float((lengths.astype(float) ** 2).sum() / computed) if computed else 1.0


def batchmate_overlap(batches_a, batches_b) -> float:
    """How much of each example's batch in one epoch meets again in the next.

    For every example with batch-mates in ``batches_a``: the share of them that
    are again its batch-mates in ``batches_b``; averaged over those examples.
    0 means fully reshuffled, 1 the same batches.
    """
    n = sum(len(b) for b in batches_a)
    where_b = np.full(n, -1)
    for k, batch in enumerate(batches_b):
        where_b[batch] = k
    if (where_b < 0).any() or sum(len(b) for b in batches_b) != n:
        raise ValueError("batches_a and batches_b must cover the same examples")
    shares = []
    for batch in batches_a:
        if len(batch) < 2:
            continue
        _, inverse, counts = np.unique(
            where_b[batch], return_inverse=True, return_counts=True
        )
        shares.extend((counts[inverse] - 1) / (len(batch) - 1))
    return float(np.mean(shares)) if shares else 0.0


def length_correlation(lengths, batches) -> float:
    """Correlation of consecutive batches' longest lengths, in iteration order."""
    lengths = _check_lengths(lengths)
    longest = np.array([lengths[b].max() for b in batches if len(b)], dtype=float)
    if len(longest) < 3 or longest.std() == 0:
        return 0.0
    return float(np.corrcoef(longest[:-1], longest[1:])[0, 1])


# --- packing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Packing:
    """Sequences packed end to end into rows of ``capacity`` tokens.

    ``rows[r]`` lists the examples in row ``r`` in order; ``row[i]`` and
    ``offset[i]`` say where example ``i`` starts. Position ids restart at each
    example, and attention stays within it (a block-diagonal mask, or the
    boundaries ``cu_seqlens`` that variable-length attention kernels take).
    """

    rows: list[np.ndarray]
    row: np.ndarray
    offset: np.ndarray
    capacity: int
    lengths: np.ndarray

    @property
    def efficiency(self) -> float:
        """Real tokens / (rows × capacity) slots."""
        slots = len(self.rows) * self.capacity
        return float(self.lengths.sum() / slots) if slots else 1.0

    def position_ids(self) -> np.ndarray:
        """``(rows, capacity)`` position of each token within its own sequence; 0 in the padding."""
        positions = np.zeros((len(self.rows), self.capacity), dtype=np.int64)
        for i, (r, start) in enumerate(zip(self.row, self.offset, strict=True)):
            positions[r, start : start + self.lengths[i]] = np.arange(self.lengths[i])
        return positions

    def segment_ids(self) -> np.ndarray:
        """``(rows, capacity)`` example index of each token, -1 in the padding."""
        segments = np.full((len(self.rows), self.capacity), -1, dtype=np.int64)
        for i, (r, start) in enumerate(zip(self.row, self.offset, strict=True)):
            segments[r, start : start + self.lengths[i]] = i
        return segments

    def attention_mask(self, row: int) -> np.ndarray:
        """``(capacity, capacity)`` block-diagonal mask of one row: ``True`` = may attend."""
        segments = self.segment_ids()[row]
        return (segments[:, None] == segments[None, :]) & (segments[:, None] >= 0)

    def cu_seqlens(self, row: int) -> np.ndarray:
        """Cumulative sequence boundaries of one row, as FlashAttention's varlen kernels take."""
        return np.concatenate([[0], np.cumsum(self.lengths[self.rows[row]])])


def pack(lengths, capacity: int) -> Packing:
    """Pack sequences into as few rows of ``capacity`` tokens as first-fit decreasing finds.

    Longest first, each sequence goes into the first row with room for it. A
    sequence longer than ``capacity`` raises :class:`ValueError`. First-fit
    decreasing needs at most 11/9 of the optimum number of rows plus one, and
    on length distributions like a play's usually reaches the lower bound
    ``ceil(total tokens / capacity)``.

    >>> packing = pack([5, 3, 2, 6], capacity=8)
    >>> [row.tolist() for row in packing.rows], packing.efficiency
    ([[3, 2], [0, 1]], 1.0)
    >>> packing.position_ids()
    array([[0, 1, 2, 3, 4, 5, 0, 1],
           [0, 1, 2, 3, 4, 0, 1, 2]])
    """
    lengths, capacity = _check_fits(lengths, "capacity", capacity)
    order = np.argsort(-lengths, kind="stable")
    free: list[int] = []
    rows: list[list[int]] = []
    for i in order:
        need = int(lengths[i])
        r = next((k for k, room in enumerate(free) if room >= need), None)
        if r is None:  # no row has room: open a new one
            r = len(rows)
            rows.append([])
            free.append(capacity)
        rows[r].append(int(i))
        free[r] -= need
    row = np.zeros(len(lengths), dtype=np.int64)
    offset = np.zeros(len(lengths), dtype=np.int64)
    for r, members in enumerate(rows):
        starts = np.concatenate([[0], np.cumsum(lengths[members])[:-1]])
        row[members], offset[members] = r, starts
    return Packing(
        [np.array(m, dtype=np.int64) for m in rows], row, offset, capacity, lengths
    )
