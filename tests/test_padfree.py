"""Padding-free batches: each sequence as if alone, and each control the other way."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from padguide import claims
from padguide.claims import padfree as padfree_claims
from padguide.experiments import padfree


@pytest.fixture(scope="module")
def runs():
    return padfree.compare(flex=False)


def test_every_batching_matches_each_sequence_alone(runs):
    for name in (
        "padded",
        "jagged",
        "packed, per-sequence attention",
        "packed, block-diagonal mask",
    ):
        assert runs[name].output_error < padfree_claims.SAME, name
        assert runs[name].gradient_error < padfree_claims.SAME_GRADIENT, name
        assert runs[name].cross_gradient == 0, name


def test_controls_break_what_their_cause_keeps(runs):
    crossed, run_on = runs["packed, no document mask"], runs["packed, positions run on"]
    assert crossed.output_error > padfree_claims.DIFFERENT
    assert crossed.cross_gradient > 0
    assert run_on.output_error > padfree_claims.DIFFERENT
    assert run_on.cross_gradient == 0  # positions move outputs, never across sequences


def test_padding_free_runs_compute_fewer_slots(runs):
    sequences, _ = padfree.speeches()
    real = sum(len(s) for s in sequences)
    assert runs["jagged"].tokens_computed == real
    assert (
        runs["padded"].tokens_computed
        > runs["packed, per-sequence attention"].tokens_computed
    )
    assert runs["packed, per-sequence attention"].tokens_computed >= real


def test_packing_restarts_positions():
    sequences, _ = padfree.speeches()
    packing = padfree.packing_for(np.array([len(s) for s in sequences]))
    assert len(packing.rows) >= 2
    assert (packing.position_ids()[packing.row, packing.offset] == 0).all()


def test_boundary_loss_control_adds_crossing_targets():
    r = padfree.boundary_loss()
    assert r.packed == pytest.approx(r.per_sequence, rel=1e-6)
    sequences, _ = padfree.speeches()
    packing = padfree.packing_for(np.array([len(s) for s in sequences]))
    # One crossing target per boundary between two sequences inside a row.
    assert r.crossing_targets == sum(len(row) - 1 for row in packing.rows)
    assert r.shifted_row != pytest.approx(r.per_sequence, rel=1e-4)


PADFREE_CLAIMS = [c for c in claims.ledger() if c.startswith("torch.") and
                  claims.ledger()[c].check.__module__ == "padguide.claims.padfree"]  # fmt: skip


@pytest.mark.parametrize("claim_id", PADFREE_CLAIMS)
def test_claims_hold_and_controls_differ(claim_id):
    result = claims.check(claim_id)
    assert result.outcome in (claims.Outcome.HOLDS, claims.Outcome.NOT_APPLICABLE), (
        result
    )
    if result.control is not None:
        assert result.control_differs is True, result


def test_check_functions_are_named_after_their_ids():
    for claim_id in PADFREE_CLAIMS:
        name = claims.ledger()[claim_id].check.__name__
        assert name == claim_id.split(".", 1)[1].replace("-", "_")


RAGGED_CLAIMS = [c for c in claims.ledger()
                 if claims.ledger()[c].check.__module__ == "padguide.claims.ragged"]  # fmt: skip


@pytest.mark.parametrize("claim_id", RAGGED_CLAIMS)
def test_ragged_claims_hold_and_controls_differ(claim_id):
    pytest.importorskip("tensorflow")
    result = claims.check(claim_id)
    assert result.outcome in (claims.Outcome.HOLDS, claims.Outcome.NOT_APPLICABLE), (
        result
    )
    if result.control is not None:
        assert result.control_differs is True, result


def test_ragged_batch_has_no_pad_in_its_gradient():
    pytest.importorskip("tensorflow")
    from padguide.experiments import ragged

    if ragged.applicable():
        pytest.skip(ragged.applicable())
    r = ragged.ragged_embedding()
    sequences, _ = ragged.speeches()
    assert r.gradient_ids == sum(len(s) for s in sequences)
    assert r.padded_gradient_ids == len(sequences) * max(len(s) for s in sequences)
    assert r.padded_gradient_pad_ids == r.padded_gradient_ids - r.gradient_ids


def _fake_result(kind):
    from padguide import bench

    def method(efficiency, speedup):
        base_eff = 0.2
        return {"initial_loss": 8.0, "steps": 10, "efficiency": efficiency,
                "seconds": 1.0 / speedup, "tokens_per_second": 1000.0 * speedup,
                "speedup": speedup, "limit": efficiency / base_eff}  # fmt: skip

    methods = {"random, padded": method(0.2, 1.0), "bucket, padded": method(0.8, 3.5)}
    for i, name in enumerate(bench.PADDING_FREE[kind]):
        methods[name] = method(1.0, 3.0 + i)
    return {"kind": kind, "methods": methods}


@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_padfree_summary_picks_the_fastest_padding_free_method(kind):
    from padguide import bench

    result = _fake_result(kind)
    summary = bench.padfree_summary(result)
    assert summary["method"] == bench.PADDING_FREE[kind][-1]
    assert summary["limit"] == pytest.approx(5.0)
    assert summary["share"] == pytest.approx(100 * summary["speedup"] / 5.0)
    assert summary["target"] == pytest.approx(85)
    expected = "reaches" if summary["speedup"] >= 0.85 * 5.0 else "falls short of"
    assert summary["meets_target"] == expected
    assert summary["beats_bucket"] == (
        "faster" if summary["speedup"] > 3.5 else "slower"
    )
    table = bench.padfree_table(result)
    assert list(table.index) == [
        "random, padded",
        "bucket, padded",
        *bench.PADDING_FREE[kind],
    ]
    assert table.loc["random, padded", "share of limit"] == 1.0


def test_padfree_summary_needs_a_padding_free_method():
    from padguide import bench

    result = _fake_result("lstm")
    for name in bench.PADDING_FREE["lstm"]:
        del result["methods"][name]
    with pytest.raises(ValueError, match="no padding-free method"):
        bench.padfree_summary(result)


def test_table_labels_rows_and_puts_controls_last(runs):
    table = padfree.table(runs)
    assert list(table.index[-2:]) == [padfree.ROW_LABELS[c] for c in padfree.CONTROLS]
    assert table.loc["jagged nested tensor + SDPA", "token slots computed"] == sum(
        len(s) for s in padfree.speeches()[0]
    )
