"""The cost of padding: how much each batching method wastes, and how random it is.

Numpy only, except the tf.data method, which imports TensorFlow when it runs.
Everything is seeded: one seed is one epoch, and randomness is measured as the
batch-mate overlap between consecutive epochs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from padguide import batching as B

__all__ = [
    "ANCHORS",
    "FIXED_SIZE_METHODS",
    "MethodScore",
    "budget_table",
    "efficiency_at",
    "frontier",
    "packing_rows",
    "packing_sweep",
    "play_lengths",
    "score",
    "score_table",
]


@cache
def _play_lengths() -> tuple[int, ...]:
    from padguide.corpus import tokenize, twelfth_night

    return tuple(len(tokenize(s.text)) for s in twelfth_night())


def play_lengths() -> np.ndarray:
    """Token counts of every speech of Twelfth Night (the pinned tokenizer)."""
    return np.array(_play_lengths(), dtype=np.int64)


def _sorted(lengths, batch_size, *, seed):  # the same batches whatever the seed
    return B.sorted_batches(lengths, batch_size)


def _tf_data(lengths, batch_size, *, seed):
    from padguide.experiments.tensorflow import tf_bucket_batches

    return tf_bucket_batches(lengths, batch_size, seed=seed)


Sampler = Callable[..., list[np.ndarray]]

FIXED_SIZE_METHODS: dict[str, Sampler] = {
    "random": B.random_batches,
    "sorted (reference)": _sorted,
    "padguide bucket_batches": B.bucket_batches,
    "Hugging Face group_by_length": B.hf_megabatch_batches,
    "torchtext BucketIterator": B.torchtext_pool_batches,
    "AllenNLP BucketBatchSampler": B.allennlp_bucket_batches,
    "tf.data bucket_by_sequence_length": _tf_data,
}
"""Samplers taking a batch size, by the name the book shows."""

ANCHORS = (
    "Hugging Face group_by_length",
    "torchtext BucketIterator",
    "AllenNLP BucketBatchSampler",
    "tf.data bucket_by_sequence_length",
)


@dataclass(frozen=True)
class MethodScore:
    method: str
    batch_size: int
    efficiency: float
    """Mean padding efficiency over the seeds."""
    overlap: float
    """Mean batch-mate overlap between consecutive seeds (epochs)."""
    batches: float
    """Mean number of batches per epoch."""
    attention_efficiency: float
    length_correlation: float


def score(
    sampler: Sampler,
    lengths: np.ndarray,
    batch_size: int,
    seeds: int = 5,
    name: str = "",
) -> MethodScore:
    """Efficiency and randomness of a sampler, averaged over ``seeds`` consecutive epochs."""
    epochs = [sampler(lengths, batch_size, seed=s) for s in range(seeds + 1)]
    return MethodScore(
        method=name,
        batch_size=batch_size,
        efficiency=float(
            np.mean([B.padding_efficiency(lengths, e) for e in epochs[:-1]])
        ),
        overlap=float(
            np.mean([B.batchmate_overlap(a, b) for a, b in itertools.pairwise(epochs)])
        ),
        batches=float(np.mean([len(e) for e in epochs[:-1]])),
        attention_efficiency=float(
            np.mean([B.attention_efficiency(lengths, e) for e in epochs[:-1]])
        ),
        length_correlation=float(
            np.mean([B.length_correlation(lengths, e) for e in epochs[:-1]])
        ),
    )


def score_table(
    batch_sizes=(8, 32, 128), seeds: int = 5, lengths: np.ndarray | None = None
):
    """Every method at every batch size, as a long pandas table."""
    import pandas as pd

    lengths = play_lengths() if lengths is None else lengths
    rows = [
        score(sampler, lengths, bs, seeds, name)
        for bs in batch_sizes
        for name, sampler in FIXED_SIZE_METHODS.items()
    ]
    return pd.DataFrame([r.__dict__ for r in rows])


def frontier(
    widths=(0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2),
    batch_size: int = 32,
    seeds: int = 5,
    lengths: np.ndarray | None = None,
) -> list[tuple[float, MethodScore]]:
    """padguide's efficiency against randomness across its knob, ``width``."""
    lengths = play_lengths() if lengths is None else lengths
    return [
        (
            w,
            score(
                lambda ls, bs, *, seed, w=w: B.bucket_batches(
                    ls, bs, seed=seed, width=w
                ),
                lengths,
                batch_size,
                seeds,
                f"width={w}",
            ),
        )
        for w in widths
    ]


def efficiency_at(frontier_points, overlap: float) -> float:
    """padguide's efficiency at a given overlap, interpolated along its frontier."""
    points = sorted((s.overlap, s.efficiency) for _, s in frontier_points)
    xs, ys = zip(*points, strict=True)
    return float(np.interp(overlap, xs, ys))


def packing_rows(capacities, lengths: np.ndarray | None = None) -> list[dict]:
    """Rows :func:`padguide.batching.pack` needs at each capacity, against the lower bound."""
    lengths = play_lengths() if lengths is None else lengths
    rows = []
    for capacity in capacities:
        packing = B.pack(lengths, int(capacity))
        bound = -(-int(lengths.sum()) // int(capacity))
        rows.append({"capacity": int(capacity), "rows": len(packing.rows),
                     "lower bound": bound, "extra rows": len(packing.rows) - bound,
                     "efficiency": packing.efficiency})  # fmt: skip
    return rows


def packing_sweep(capacities, lengths: np.ndarray | None = None):
    """:func:`packing_rows` as a pandas table, for a page."""
    import pandas as pd

    return pd.DataFrame(packing_rows(capacities, lengths))


def budget_table(max_tokens: int, lengths: np.ndarray | None = None, seeds: int = 5):
    """Token-budget samplers at one budget: efficiency, randomness, batches per epoch."""
    import pandas as pd

    lengths = play_lengths() if lengths is None else lengths
    samplers = {
        "fairseq max_tokens": B.fairseq_max_tokens_batches,
        "padguide token_budget_batches": B.token_budget_batches,
        "padguide token_budget_batches, width=0.1": lambda ls, t, *, seed: (
            B.token_budget_batches(ls, t, seed=seed, width=0.1)
        ),
        "random order under the budget": lambda ls, t, *, seed: B.token_budget_batches(
            ls, t, seed=seed, width=None
        ),
    }
    rows = {
        name: score(fn, lengths, max_tokens, seeds).__dict__
        for name, fn in samplers.items()
    }
    table = pd.DataFrame(rows).T.drop(columns=["method", "batch_size"])
    return table.astype(float)
