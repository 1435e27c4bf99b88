"""What the chapter says about a recorded run is computed from it."""

from __future__ import annotations

import pytest

from padguide.bench import training_summary


def method(speedup, limit, tokens, efficiency):
    return {
        "speedup": speedup,
        "limit": limit,
        "tokens_per_second": tokens,
        "efficiency": efficiency,
    }


def test_training_summary_by_hand():
    result = {"methods": {
        "random, padded": method(1.0, 1.0, 100, 0.2),
        "bucket, padded": method(3.0, 4.0, 300, 0.8),
        "random, pack_padded_sequence": method(0.8, 5.0, 80, 1.0),
        "budget, random order": method(1.0, 1.1, 110, 0.25),
        "budget, bucket order": method(2.0, 3.0, 220, 0.5),
    }}  # fmt: skip
    summary = training_summary(result)
    assert summary["best_method"] == "bucket, padded"
    assert summary["best_share"] == pytest.approx(75.0)
    assert summary["budget_speedup"] == pytest.approx(2.0)
    assert summary["budget_limit"] == pytest.approx(2.0)
    assert summary["pps_verdict"] == "slower than padding"
