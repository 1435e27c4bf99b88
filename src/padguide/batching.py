"""Turning variable-length id sequences into a rectangular batch (numpy only)."""

from __future__ import annotations

import itertools
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
    "overlap_width",
    "pack",
    "pad",
    "padding_efficiency",
    "random_batches",
    "sorted_batches",
    "tf_bucket_batches",
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
    """The least padding possible in ``ceil(n / batch_size)`` batches of at most ``batch_size``.

    Examples are sorted by length and cut into consecutive batches; where
    ``batch_size`` does not divide ``n``, the ``k·batch_size − n`` missing
    places are spread over the batches by dynamic programming so that the
    padded slots, ``Σ len(batch) × longest(batch)``, are the fewest that any
    partition into that many batches of at most ``batch_size`` can have
    (some optimal partition is contiguous in sorted order, and the program
    searches every contiguous one). Deterministic, so every epoch sees the
    same batches: it is the reference for efficiency, not a sampler to train
    with.

    >>> [b.tolist() for b in sorted_batches([9, 1, 9, 2], batch_size=3)]
    [[1, 3], [0, 2]]
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    order = np.argsort(lengths, kind="stable")
    return [order[a:b] for a, b in _optimal_cuts(lengths[order], batch_size)]


def _optimal_cuts(
    ascending: np.ndarray, batch_size: int, count: int | None = None
) -> list[tuple[int, int]]:
    """Bounds of ``count`` consecutive batches of ascending lengths with the fewest slots.

    ``count`` defaults to ``ceil(n / bs)``. Batch ``b`` ends at
    ``(b + 1)·bs − c`` where ``c`` is the number of places left empty so far
    (each batch leaves 0 … ``bs − 1``); the program keeps the cheapest cost
    for every ``c`` after each batch, and must end with every place of
    ``count·bs − n`` accounted for.
    """
    n = len(ascending)
    count = -(-n // batch_size) if count is None else count
    missing = count * batch_size - n
    if missing == 0:
        return [(s, s + batch_size) for s in range(0, n, batch_size)]
    c = np.arange(missing + 1)
    d = np.arange(min(batch_size, missing + 1))  # places this batch leaves empty
    before = c[:, None] - d[None, :]
    valid = before >= 0
    before = np.maximum(before, 0)
    best = np.where(c == 0, 0.0, np.inf)  # cost so far, by places left empty so far
    choice = np.zeros((count, missing + 1), dtype=np.int64)
    for b in range(count):
        longest = ascending[np.clip((b + 1) * batch_size - c - 1, 0, n - 1)]
        cost = best[before] + (batch_size - d)[None, :] * longest[:, None].astype(float)
        cost[~valid] = np.inf
        choice[b] = np.argmin(cost, axis=1)
        best = cost[c, choice[b]]
    cuts, after = [], missing
    for b in range(count - 1, -1, -1):
        start = after - int(choice[b, after])
        cuts.append((b * batch_size - start, (b + 1) * batch_size - after))
        after = start
    return cuts[::-1]


def _cut(order, lengths, batch_size: int, batches: int | None) -> list[np.ndarray]:
    """Cut ``order`` (nearly ascending) into batches, sized as the optimum for sorted lengths.

    With ``batches`` above ``ceil(n / batch_size)``, the extra batches go where
    the lengths are longest, as the dynamic program of :func:`sorted_batches`
    places them. Beyond 20,000 batches the program is skipped and the last
    batch takes the shortfall.
    """
    n = len(order)
    if n == 0:
        return []
    least = -(-n // batch_size)
    if batches is None:
        batches = least
    batches = _check_positive("batches", batches)
    if not least <= batches <= max(n, least):
        raise ValueError(
            f"batches must be between ceil(n / batch_size)={least} and n={n}, got {batches}"
        )
    if batches == least and (n % batch_size == 0 or batches > 20_000):
        return _chunks(order, batch_size)
    cuts = _optimal_cuts(np.sort(lengths), batch_size, batches)
    return [order[a:b] for a, b in cuts]


def overlap_width(lengths, batch_size, overlap: float = 0.1) -> float:
    """The noise width (in log length) at which batch-mates meet again with about ``overlap``.

    Sorting by ``log(length) + uniform(0, width)`` and cutting into batches
    puts an example with the ``m`` examples whose log lengths lie within
    ``width`` of its own; the next epoch draws its batch of ``batch_size``
    among them again, so a batch-mate comes back with a chance of about
    ``(batch_size − 1) / (m − 1)``. This returns the narrowest width at which
    the average of that chance, times a safety margin of 1.25 measured on
    the plays and on lognormal lengths, is at most ``overlap``. Equal lengths
    count as neighbours at any width, so a corpus with many ties needs less
    noise. ``batch_size`` may be one number or one per example (a token
    budget's ``max_tokens // length``).

    If no width reaches ``overlap`` (a corpus of a few batches), the widest
    width tried is returned: the order is then close to random.
    """
    lengths = _check_lengths(lengths)
    if not 0 < overlap <= 1:
        raise ValueError(f"overlap must be in (0, 1], got {overlap!r}")
    if len(lengths) < 2:
        return 1.0
    sizes = np.broadcast_to(np.asarray(batch_size, dtype=float), lengths.shape)
    if lengths.max() <= 4 * len(lengths) + 1024:  # counts per length: O(n), no sort
        counts = np.bincount(lengths)
        values = np.flatnonzero(counts)
        counts = counts[values]
        size_sum = np.bincount(lengths, weights=sizes)[values]
    else:
        values, inverse, counts = np.unique(
            lengths, return_inverse=True, return_counts=True
        )
        size_sum = np.bincount(inverse, weights=sizes)
    logs = np.log(values)
    below = np.concatenate([[0], np.cumsum(counts)])
    n = len(lengths)

    def predicted(width: float) -> float:
        m = (
            below[np.searchsorted(logs, logs + width, side="right")]
            - below[np.searchsorted(logs, logs - width, side="left")]
        )
        mean_size = size_sum / counts
        chance = np.minimum(1.0, np.maximum(mean_size - 1, 0) / np.maximum(m - 1, 1))
        return 1.25 * float((counts * chance).sum() / n)

    low, high = 1e-6, max(8.0, 2 * float(logs[-1] - logs[0]))
    if predicted(low) <= overlap:
        return low
    if predicted(high) > overlap:
        return high
    for _ in range(40):  # bisection in log space
        mid = float(np.sqrt(low * high))
        low, high = (mid, high) if predicted(mid) > overlap else (low, mid)
    return high


def _check_width(width) -> float:
    if isinstance(width, bool) or not isinstance(width, int | float | np.floating):
        raise TypeError(f"width must be a number or None, got {type(width).__name__}")
    if not width > 0:
        raise ValueError(f"width must be > 0, got {width}")
    return float(width)


def _noisy_order(lengths, width: float, rng) -> np.ndarray:
    """Indices sorted by ``log(length) + uniform(0, width)``; ``width=inf`` is a permutation."""
    if np.isinf(width):
        return rng.permutation(len(lengths))
    key = np.log(lengths) + rng.uniform(0, width, len(lengths))
    return np.argsort(key)


def bucket_batches(
    lengths,
    batch_size: int,
    *,
    seed,
    overlap: float = 0.1,
    width: float | None = None,
    batches: int | None = None,
) -> list[np.ndarray]:
    """padguide's sampler: batches of similar length that change every epoch.

    Examples are sorted by ``log(length)`` plus noise drawn uniformly from
    ``[0, width)`` for every seed (one seed per epoch), cut into
    ``ceil(n / batch_size)`` batches, and the batches are shuffled. So it
    makes as many batches as random batching: its efficiency is not bought
    with more, smaller batches. Where ``batch_size`` does not divide ``n``,
    the few empty places go to the batches where they save the most padding
    (as in :func:`sorted_batches`). ``batches`` asks for more, smaller
    batches than that, to match a method that makes them (tf.data's
    ``bucket_by_sequence_length`` ends every bucket in a partial batch); the
    extra batches go where the examples are longest.

    The noise is chosen from the randomness asked for: ``overlap`` is the
    share of an example's batch-mates that should meet it again in the next
    epoch (0 = fully reshuffled, 1 = the same batches; see
    :func:`batchmate_overlap`), and :func:`overlap_width` finds the narrowest
    noise predicted to stay below it on these lengths. It is a prediction:
    on a corpus of a few dozen batches the measured overlap can come out a
    little above the target (the cost chapter shows it for every play). A
    large corpus gets little noise (it has many examples of nearly every
    length), a small one much more. ``width`` sets the noise directly instead; ``width=math.inf`` gives
    random batches. Noise in log space treats short and long sequences alike:
    a 3-token and a 4-token speech mix as readily as 300 and 400 tokens.

    ``seed`` is anything :func:`numpy.random.default_rng` takes, e.g.
    ``(seed, epoch)``.

    >>> batches = bucket_batches([2, 3, 40, 50, 9, 10], batch_size=2, seed=0, width=0.1)
    >>> sorted(sorted(b.tolist()) for b in batches)
    [[0, 1], [2, 3], [4, 5]]
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    if width is None:
        width = overlap_width(lengths, batch_size, overlap)
    width = _check_width(width)
    rng = np.random.default_rng(seed)
    cut = _cut(_noisy_order(lengths, width, rng), lengths, batch_size, batches)
    return [cut[i] for i in rng.permutation(len(cut))]


def token_budget_batches(
    lengths,
    max_tokens: int,
    *,
    seed,
    overlap: float = 0.1,
    width: float | None = None,
) -> list[np.ndarray]:
    """Batches of varying size whose padded size (count × longest) stays within ``max_tokens``.

    Examples are ordered as in :func:`bucket_batches` (by log length plus
    noise chosen from ``overlap``, at the mean batch size that the budget
    gives sorted lengths, so the overlap is near the target rather than
    below it), or at random with ``width=math.inf``, then cut
    greedily; batch order is shuffled. Equal padded slots per step make steps
    cost about the same, whatever their lengths.
    """
    lengths, max_tokens = _check_fits(lengths, "max_tokens", max_tokens)
    if width is None:
        width = _budget_width(lengths, max_tokens, overlap)
    width = _check_width(width)
    rng = np.random.default_rng(seed)
    return _fill_budget(lengths, _noisy_order(lengths, width, rng), max_tokens, rng)


def _budget_width(lengths: np.ndarray, max_tokens: int, overlap: float) -> float:
    """:func:`overlap_width` at the mean batch size the budget gives sorted lengths.

    Batches under a budget differ in size (many short sequences, few long
    ones); the mean size of the sorted cut stands for all of them, so the
    overlap reached is near the target, not bounded by it.
    """
    if len(lengths) < 2:
        return 1.0
    sample = lengths
    if len(lengths) > 100_000:  # the mean size depends on the distribution, not on n
        sample = lengths[np.random.default_rng(0).integers(0, len(lengths), 100_000)]
    count = len(_budget_cuts(np.sort(sample), max_tokens)) - 1
    return overlap_width(lengths, max(2.0, len(sample) / count), overlap)


def _budget_cuts(ordered: np.ndarray, max_tokens: int) -> np.ndarray:
    """Greedy cut points: a batch grows while (count + 1) × longest stays within the budget.

    One numpy pass per batch over a window that doubles until the batch ends
    inside it, so the work is about the batch sizes, not a Python step per example.
    """
    n = len(ordered)
    starts = [0]
    start, guess = 0, 16
    while start < n:
        while True:
            stop = min(n, start + guess)
            longest = np.maximum.accumulate(ordered[start:stop])
            over = np.flatnonzero(np.arange(1, stop - start + 1) * longest > max_tokens)
            if len(over) or stop == n:
                break
            guess *= 2
        size = int(over[0]) if len(over) else stop - start
        start += size
        starts.append(start)
        guess = 2 * size + 16
    return np.array(starts, dtype=np.int64)


def _fill_budget(lengths, order, max_tokens, rng) -> list[np.ndarray]:
    """Cut ``order`` greedily into batches of at most ``max_tokens`` padded slots; shuffle them."""
    if len(order) == 0:
        return []
    starts = _budget_cuts(lengths[order], max_tokens)
    batches = [order[a:b] for a, b in itertools.pairwise(starts)]
    return [batches[i] for i in rng.permutation(len(batches))]


# --- the anchors, re-implemented from their published descriptions --------------------------


def hf_megabatch_batches(
    lengths, batch_size: int, *, seed, mega_batch_mult: int | None = None
) -> list[np.ndarray]:
    """Hugging Face ``group_by_length`` (``get_length_grouped_indices``), then cut into batches.

    A random permutation cut into megabatches of ``mega_batch_mult · bs``
    (by default ``min(n // (4·bs), 50)``, at least 1); each megabatch sorted
    by length, longest first (ties in permutation order); the single longest
    example swapped with the first example of the first megabatch, so the
    first batch is the one that runs out of memory if any does. The
    resulting order is cut into batches of ``batch_size``, as the
    ``DataLoader`` over ``LengthGroupedSampler`` does.
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    if mega_batch_mult is not None:
        mega_batch_mult = _check_positive("mega_batch_mult", mega_batch_mult)
    order = np.random.default_rng(seed).permutation(len(lengths))
    return _chunks(_hf_grouped(lengths, batch_size, order, mega_batch_mult), batch_size)


def _hf_grouped(lengths, batch_size, order, mega_batch_mult=None) -> np.ndarray:
    """``get_length_grouped_indices`` given its random permutation ``order``."""
    if mega_batch_mult is None:
        mega_batch_mult = max(min(len(lengths) // (batch_size * 4), 50), 1)
    mega = mega_batch_mult * batch_size
    groups = []
    for start in range(0, len(order), mega):
        group = order[start : start + mega]
        groups.append(group[np.argsort(-lengths[group], kind="stable")])
    if groups:
        # torch.argmax of the megabatch maxima: the first megabatch holding the maximum
        top = int(np.argmax([lengths[g[0]] for g in groups]))
        groups[0][0], groups[top][0] = groups[top][0], groups[0][0]
    return np.concatenate(groups) if groups else order


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


def tf_bucket_batches(
    lengths,
    batch_size: int,
    *,
    seed,
    boundaries: tuple[int, ...] = (8, 16, 32, 64, 128, 256),
) -> list[np.ndarray]:
    """tf.data's ``bucket_by_sequence_length``, in numpy.

    Examples stream in a random order (a permutation drawn from ``seed``)
    into buckets ``[0, b₀), [b₀, b₁), …`` by length; a bucket emits a batch
    when it holds ``batch_size`` examples; at the end of the stream what is
    left in each bucket is emitted as a partial batch, bucket by bucket. The
    same batches in the same order as tf.data itself
    (:func:`padguide.experiments.tensorflow.tf_bucket_batches`, checked by a
    test), without iterating a dataset element by element.
    """
    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    order = np.random.default_rng(seed).permutation(len(lengths))
    bucket = np.searchsorted(np.asarray(boundaries), lengths[order], side="right")
    by_bucket = np.argsort(bucket, kind="stable")  # stream positions, bucket by bucket
    batches, done = [], []
    for members in np.split(by_bucket, np.flatnonzero(np.diff(bucket[by_bucket])) + 1):
        for start in range(0, len(members), batch_size):
            chunk = members[start : start + batch_size]
            full = len(chunk) == batch_size
            # a full batch leaves when its last member arrives; partial ones at the end
            done.append(chunk[-1] if full else len(order) + int(bucket[chunk[0]]))
            batches.append(order[chunk])
    return [batches[i] for i in np.argsort(done, kind="stable")]


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
    if sum(len(b) for b in batches_b) != n:
        raise ValueError("batches_a and batches_b must cover the same examples")
    where_a, where_b = _batch_of(batches_a, n), _batch_of(batches_b, n)
    if (where_a < 0).any() or (where_b < 0).any():
        raise ValueError("batches_a and batches_b must cover the same examples")
    size_a = np.bincount(where_a)[where_a]
    # examples sharing a batch in a and in b share the pair (batch in a, batch in b)
    _, inverse, counts = np.unique(
        where_a * (len(batches_b) + 1) + where_b,
        return_inverse=True,
        return_counts=True,
    )
    has_mates = size_a >= 2
    if not has_mates.any():
        return 0.0
    shares = (counts[inverse] - 1)[has_mates] / (size_a[has_mates] - 1)
    return float(shares.mean())


def _batch_of(batches, n: int) -> np.ndarray:
    """The batch of every example, -1 for one in no batch."""
    where = np.full(n, -1, dtype=np.int64)
    if batches:
        sizes = [len(b) for b in batches]
        flat = np.concatenate(batches).astype(np.int64)
        if len(flat) and (flat.min() < 0 or flat.max() >= n):
            raise ValueError("batches_a and batches_b must cover the same examples")
        where[flat] = np.repeat(np.arange(len(batches)), sizes)
    return where


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
    key = -lengths
    if capacity < 2**15:  # numpy sorts 16-bit integers by radix: stable and linear
        key = key.astype(np.int16)
    order = np.argsort(key, kind="stable")
    row_desc = _first_fit_decreasing(lengths[order], capacity)
    row = np.empty(len(lengths), dtype=np.int64)
    row[order] = row_desc
    # Members of a row in the order first-fit placed them: longest first, then by index.
    placed = order[np.argsort(row_desc, kind="stable")]
    bounds = np.flatnonzero(np.diff(row[placed])) + 1
    starts = np.concatenate([[0], np.cumsum(lengths[placed])[:-1]]).astype(np.int64)
    sizes = np.diff(np.concatenate([[0], bounds, [len(placed)]]))
    row_start = np.repeat(starts[np.concatenate([[0], bounds])], sizes)
    offset = np.zeros(len(lengths), dtype=np.int64)
    offset[placed] = starts - row_start
    rows = np.split(placed, bounds) if len(placed) else []
    return Packing(rows, row, offset, capacity, lengths)


def _first_fit_decreasing(descending: np.ndarray, capacity: int) -> np.ndarray:
    """Row of each item (lengths in decreasing order) under first-fit, one length at a time.

    First-fit puts equal items one after another into the first row with
    room; so all items of one length fill the rows with room in row order,
    ``room // length`` each, and what is left opens new rows holding
    ``capacity // length`` each. One numpy pass over the open rows per
    distinct length, instead of a scan of the rows per item.
    """
    row = np.empty(len(descending), dtype=np.int64)
    if not len(descending):
        return row
    free = np.empty(0, dtype=np.int64)
    bounds = np.flatnonzero(np.diff(descending)) + 1
    for first, last in zip(
        np.concatenate([[0], bounds]), np.concatenate([bounds, [len(descending)]]),
        strict=True,
    ):  # fmt: skip
        need, count = int(descending[first]), int(last - first)
        fits = np.flatnonzero(free >= need)
        take = free[fits] // need
        total = np.cumsum(take)
        used = int(np.searchsorted(total, count))  # rows that fill up, then one partly
        if used < len(fits):  # the open rows take every item
            take = take[: used + 1].copy()
            take[used] -= int(total[used]) - count
            fits = fits[: used + 1]
        placed = int(take.sum())
        row[first : first + placed] = np.repeat(fits, take)
        free[fits] -= take * need
        rest = count - placed
        if rest:
            per_row = capacity // need
            new = -(-rest // per_row)
            opened = len(free) + np.arange(new)
            row[first + placed : last] = np.repeat(opened, per_row)[:rest]
            filled = np.full(new, per_row)
            filled[-1] = rest - per_row * (new - 1)
            free = np.concatenate([free, capacity - filled * need])
    return row
