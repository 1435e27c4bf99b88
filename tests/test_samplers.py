"""Samplers, packing and the padding metrics: coverage, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from padguide import batching as B
from padguide.cost import FIXED_SIZE_METHODS, play_lengths

LENGTHS = play_lengths()
SAMPLERS = dict(FIXED_SIZE_METHODS.items())
BUDGETS = {
    "token_budget_batches": B.token_budget_batches,
    "token_budget_batches(random)": lambda ls, t, *, seed: B.token_budget_batches(
        ls, t, seed=seed, width=None
    ),
    "fairseq_max_tokens_batches": B.fairseq_max_tokens_batches,
}


def covers_once(batches, n):
    flat = np.concatenate(batches) if batches else np.array([], dtype=int)
    return sorted(flat.tolist()) == list(range(n))


@pytest.mark.parametrize("name", SAMPLERS)
@pytest.mark.parametrize("batch_size", [1, 7, 32])
def test_every_example_exactly_once(name, batch_size):
    batches = SAMPLERS[name](LENGTHS, batch_size, seed=3)
    assert covers_once(batches, len(LENGTHS))
    assert max(len(b) for b in batches) <= batch_size


@pytest.mark.parametrize("name", BUDGETS)
def test_budget_samplers_cover_once_within_budget(name):
    batches = BUDGETS[name](LENGTHS, 2048, seed=1)
    assert covers_once(batches, len(LENGTHS))
    assert max(len(b) * LENGTHS[b].max() for b in batches) <= 2048


@pytest.mark.parametrize("name", [*SAMPLERS, *BUDGETS])
def test_deterministic_per_seed_and_changing_across_seeds(name):
    def run(seed):
        if name in BUDGETS:
            return BUDGETS[name](LENGTHS, 2048, seed=seed)
        return SAMPLERS[name](LENGTHS, 32, seed=seed)

    first, again, other = run(5), run(5), run(6)
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    if name != "sorted (reference)":
        assert [b.tolist() for b in first] != [b.tolist() for b in other]


def test_sorted_batches_is_the_optimum_for_a_fixed_size():
    best = B.padding_efficiency(LENGTHS, B.sorted_batches(LENGTHS, 32))
    for seed in range(3):
        for name in (
            "random",
            "Hugging Face group_by_length",
            "AllenNLP BucketBatchSampler",
        ):
            fixed = SAMPLERS[name](LENGTHS, 32, seed=seed)
            assert B.padding_efficiency(LENGTHS, fixed) <= best + 1e-12


def test_metrics_by_hand():
    lengths = np.array([4, 2, 3, 1])
    batches = [np.array([0, 1]), np.array([2, 3])]
    assert B.padding_efficiency(lengths, batches) == pytest.approx(10 / (2 * 4 + 2 * 3))
    assert B.attention_efficiency(lengths, batches) == pytest.approx(
        30 / (2 * 16 + 2 * 9)
    )
    assert B.batchmate_overlap(batches, batches) == 1.0
    assert B.batchmate_overlap(batches, [np.array([0, 2]), np.array([1, 3])]) == 0.0


def test_random_batches_of_32_barely_meet_again():
    a, b = B.random_batches(LENGTHS, 32, seed=0), B.random_batches(LENGTHS, 32, seed=1)
    assert B.batchmate_overlap(a, b) < 0.1


def test_pack_places_every_sequence_without_overlap():
    packing = B.pack(LENGTHS, int(LENGTHS.max()))
    assert covers_once(packing.rows, len(LENGTHS))
    segments = packing.segment_ids()
    for i in range(len(LENGTHS)):
        r, start = packing.row[i], packing.offset[i]
        assert (segments[r, start : start + LENGTHS[i]] == i).all()
    assert (segments >= 0).sum() == LENGTHS.sum()
    assert len(packing.rows) == math.ceil(LENGTHS.sum() / LENGTHS.max())


def test_packing_masks_and_positions():
    packing = B.pack([3, 2, 2], capacity=4)
    assert [r.tolist() for r in packing.rows] == [[0], [1, 2]]
    np.testing.assert_array_equal(packing.position_ids()[1], [0, 1, 0, 1])
    mask = packing.attention_mask(1)
    assert mask[0, 1]
    assert not mask[1, 2]
    assert mask[2, 3]
    np.testing.assert_array_equal(packing.cu_seqlens(1), [0, 2, 4])
    assert not packing.attention_mask(0)[3].any()  # the padding slot attends nothing


def test_empty_inputs_are_legal():
    assert B.random_batches([], 4, seed=0) == []
    assert B.bucket_batches([], 4, seed=0) == []
    assert B.token_budget_batches([], 8, seed=0) == []
    assert B.pack([], 8).rows == []
    assert B.padding_efficiency([], []) == 1.0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: B.random_batches(LENGTHS, 0, seed=0),
            ValueError,
            "batch_size must be >= 1, got 0",
        ),
        (
            lambda: B.bucket_batches(LENGTHS, -3, seed=0),
            ValueError,
            "batch_size must be >= 1",
        ),
        (
            lambda: B.sorted_batches(LENGTHS, 2.5),
            TypeError,
            "batch_size must be an int",
        ),
        (
            lambda: B.token_budget_batches(LENGTHS, 0, seed=0),
            ValueError,
            "max_tokens must be >= 1",
        ),
        (
            lambda: B.token_budget_batches(LENGTHS, 100, seed=0),
            ValueError,
            r"exceeds max_tokens=100",
        ),
        (
            lambda: B.fairseq_max_tokens_batches(LENGTHS, 10, seed=0),
            ValueError,
            "exceeds max_tokens=10",
        ),
        (
            lambda: B.pack(LENGTHS, 100),
            ValueError,
            r"lengths\[\d+\]=\d+ exceeds capacity=100",
        ),
        (
            lambda: B.pack([3, 0], 8),
            ValueError,
            r"lengths\[1\]=0: every sequence needs",
        ),
        (lambda: B.pack([[3]], 8), ValueError, "lengths must be one-dimensional"),
        (
            lambda: B.bucket_batches([1.5], 2, seed=0),
            TypeError,
            "lengths must hold integers",
        ),
        (
            lambda: B.bucket_batches(LENGTHS, 4, seed=0, width=0),
            ValueError,
            "width must be > 0",
        ),
        (
            lambda: B.batchmate_overlap([np.array([0, 1])], [np.array([0])]),
            ValueError,
            "same examples",
        ),
    ],
)
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- issue 12: equal batch counts, scale, the anchors as their sources run them ---------------


def _naive_first_fit_decreasing(lengths, capacity):
    rows, free = [], []
    for i in np.argsort(-np.asarray(lengths), kind="stable"):
        r = next((k for k, room in enumerate(free) if room >= lengths[i]), None)
        if r is None:
            r = len(rows)
            rows.append([])
            free.append(capacity)
        rows[r].append(int(i))
        free[r] -= int(lengths[i])
    return rows


def test_pack_is_first_fit_decreasing_item_by_item():
    rng = np.random.default_rng(4)
    for trial in range(60):
        capacity = int(rng.integers(1, 80))
        n = int(rng.integers(0, 200))
        lengths = np.minimum(rng.lognormal(1.5, 1.0, n).astype(int) + 1, capacity)
        packing = B.pack(lengths, capacity)
        assert [r.tolist() for r in packing.rows] == _naive_first_fit_decreasing(
            lengths, capacity
        ), trial
        for r, members in enumerate(packing.rows):
            starts = np.concatenate([[0], np.cumsum(lengths[members])[:-1]])
            assert (packing.offset[members] == starts).all()
            assert (packing.row[members] == r).all()


def test_sorted_batches_beats_random_partitions_with_as_many_batches():
    rng = np.random.default_rng(5)
    for _ in range(100):
        n, bs = int(rng.integers(1, 40)), int(rng.integers(1, 9))
        lengths = rng.integers(1, 60, n)
        best = B.padding_efficiency(lengths, B.sorted_batches(lengths, bs))
        count = math.ceil(n / bs)
        for _ in range(20):  # random sizes of at most bs, then random members
            sizes = np.ones(count, dtype=int)
            for _ in range(n - count):
                sizes[rng.choice(np.flatnonzero(sizes < bs))] += 1
            other = np.split(rng.permutation(n), np.cumsum(sizes)[:-1])
            assert B.padding_efficiency(lengths, other) <= best + 1e-12


def test_sorted_batches_beats_every_contiguous_cut():
    import itertools

    rng = np.random.default_rng(6)
    for _ in range(200):
        n, bs = int(rng.integers(1, 13)), int(rng.integers(1, 5))
        lengths = np.sort(rng.integers(1, 40, n))
        count = math.ceil(n / bs)
        costs = []
        for cuts in itertools.combinations(range(1, n), count - 1):
            parts = np.split(np.arange(n), cuts)
            if max(len(p) for p in parts) <= bs:
                costs.append(sum(len(p) * lengths[p].max() for p in parts))
        got = sum(len(b) * lengths[b].max() for b in B.sorted_batches(lengths, bs))
        assert got == min(costs)


@pytest.mark.parametrize("corpus", ["all plays", "lognormal σ=1.5"])
def test_bucket_batches_defaults_on_a_large_corpus(corpus):
    from padguide.cost import corpora, score

    lengths = corpora()[corpus]
    ours = score(B.bucket_batches, lengths, 32, seeds=2)
    best = B.padding_efficiency(lengths, B.sorted_batches(lengths, 32))
    assert ours.batches == math.ceil(len(lengths) / 32)
    assert ours.efficiency >= 0.9 * best
    assert ours.overlap <= 0.1


def test_bucket_batches_can_make_more_smaller_batches_where_lengths_are_long():
    batches = B.bucket_batches(LENGTHS, 32, seed=0, width=0.01, batches=35)
    assert len(batches) == 35
    assert covers_once(batches, len(LENGTHS))
    longest = max(batches, key=lambda b: LENGTHS[b].max())
    assert len(longest) < 32
    with pytest.raises(
        ValueError, match=r"batches must be between ceil\(n / batch_size\)=29"
    ):
        B.bucket_batches(LENGTHS, 32, seed=0, batches=10)


def test_overlap_width_narrows_as_the_corpus_grows():
    from padguide.cost import corpora

    small = B.overlap_width(LENGTHS, 32, 0.1)
    large = B.overlap_width(corpora()["all plays"], 32, 0.1)
    assert large < small
    with pytest.raises(ValueError, match=r"overlap must be in \(0, 1\], got 0"):
        B.overlap_width(LENGTHS, 32, 0)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("batch_size", [1, 7, 32])
def test_tf_bucket_batches_in_numpy_match_tf_data(seed, batch_size):
    pytest.importorskip("tensorflow")
    from padguide.experiments.tensorflow import tf_bucket_batches

    ours = B.tf_bucket_batches(LENGTHS, batch_size, seed=seed)
    theirs = tf_bucket_batches(LENGTHS, batch_size, seed=seed)
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


def _transformers_grouping():
    try:
        from transformers.trainer_pt_utils import get_length_grouped_indices
    except Exception:  # noqa: BLE001 - missing, or installed without its dependencies
        pytest.skip("transformers is not importable")
    return get_length_grouped_indices


@pytest.mark.parametrize(
    ("n", "batch_size", "seed"), [(923, 32, 0), (923, 8, 3), (200, 16, 1)]
)
def test_hf_megabatches_match_transformers(n, batch_size, seed):
    torch = pytest.importorskip("torch")
    grouped = _transformers_grouping()
    lengths = LENGTHS[:n]
    theirs = grouped(
        lengths.tolist(), batch_size, generator=torch.Generator().manual_seed(seed)
    )
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    ours = B._hf_grouped(lengths, batch_size, order)
    assert ours.tolist() == list(theirs)
    # the single longest example leads, the rest of its megabatch keeps its place
    assert lengths[ours[0]] == lengths.max()


def test_hf_megabatches_swap_the_longest_example_not_its_batch():
    lengths = np.array([1, 2, 3, 4, 5, 6, 7, 50])
    order = np.arange(8)
    grouped = B._hf_grouped(lengths, 2, order, mega_batch_mult=2)
    assert grouped.tolist() == [7, 2, 1, 0, 3, 6, 5, 4]
