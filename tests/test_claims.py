"""Every claim of the ledger, run without Sphinx; and the ledger's own machinery."""

from __future__ import annotations

import json

import pytest

from padguide import claims
from padguide.claims._ledger import Claim, Evidence, NotApplicable, Outcome, run
from padguide.keras_backend import current_backend

LEDGER = claims.ledger()


def test_the_book_has_at_least_110_claims():
    assert len(LEDGER) >= 110


def _has_control(claim_id: str) -> bool:
    return claims.check(claim_id).control is not None


@pytest.mark.claims
def test_at_least_40_claims_run_a_control():
    assert sum(_has_control(c) for c in LEDGER) >= 40


@pytest.mark.claims
@pytest.mark.parametrize("claim_id", sorted(LEDGER))
def test_claim_holds(claim_id):
    result = claims.check(claim_id)
    backends = LEDGER[claim_id].backends
    if backends is not None and current_backend() not in backends:
        # Checked in a process of its own backend: tests/test_backends.py.
        assert result.outcome is Outcome.NOT_APPLICABLE
        pytest.skip(result.detail)
    assert result.outcome is Outcome.HOLDS, f"{result.detail} {result.shown}"
    json.dumps(result.to_json())  # evidence can be written, diffed and compared


@pytest.mark.claims
@pytest.mark.parametrize("claim_id", sorted(LEDGER))
def test_claim_control_comes_out_the_other_way(claim_id):
    # Where a statement is "X causes Y", the check runs without X: this test proves
    # the check could fail, because the control's outcome differs from the claim's.
    result = claims.check(claim_id)
    if result.control is None:
        pytest.skip("no control")
    assert result.control_differs is True, f"control {result.control} vs {result.shown}"
    assert result.control != result.shown


def test_a_control_that_does_not_differ_fails_the_claim():
    same = _claim(
        lambda: Evidence(True, {"x": 1}, control={"x": 1}, control_differs=False)
    )
    assert run(same).outcome is Outcome.FAILS
    other = _claim(
        lambda: Evidence(True, {"x": 1}, control={"x": 2}, control_differs=True)
    )
    assert run(other).outcome is Outcome.HOLDS
    assert run(other).to_json()["control"] == {"x": 2}


def test_a_control_needs_its_verdict():
    with pytest.raises(TypeError, match="control"):
        Evidence(True, [], control={"x": 1})
    with pytest.raises(TypeError, match="control"):
        Evidence(True, [], control_differs=True)


@pytest.mark.claims
def test_evidence_is_not_a_bare_literal():
    # Evidence holds the quantities that decide the claim: never empty, never a bare constant.
    for claim_id in LEDGER:
        result = claims.check(claim_id)
        if result.outcome not in {Outcome.HOLDS, Outcome.FAILS}:
            continue  # a broken check is test_claim_holds's to report
        shown = result.shown
        assert isinstance(shown, dict | list), claim_id
        assert shown, claim_id


def test_ids_name_their_framework():
    for claim_id, claim_ in LEDGER.items():
        assert claim_id.startswith(claim_.framework + ".")
        assert claim_id == claim_id.lower()
        assert " " not in claim_id


def _claim(check):
    return Claim("padguide.test-only", "padguide", "A statement.", check)


def test_outcomes_fails_error_and_not_applicable():
    assert run(_claim(lambda: Evidence(False, [1]))).outcome is Outcome.FAILS

    def broken():
        raise RuntimeError("boom")

    result = run(_claim(broken))
    assert result.outcome is Outcome.ERROR
    assert "boom" in result.detail

    def missing():
        raise NotApplicable("no such option in this version")

    assert run(_claim(missing)).outcome is Outcome.NOT_APPLICABLE


def test_show_raises_when_a_claim_does_not_hold(monkeypatch):
    failing = _claim(lambda: Evidence(False, {"x": 1}))
    monkeypatch.setitem(claims.registered(), failing.id, failing)
    with pytest.raises(claims.ClaimFailed, match=r"padguide\.test-only fails"):
        claims.show(failing.id)


def test_show_renders_statement_and_evidence():
    html = claims.show("torch.pad-row-zero-at-init")._repr_html_()
    assert "A new nn.Embedding(padding_idx=0) has an all-zero row 0." in html
    assert "✓" in html
    assert "[0.0, 0.0, 0.0]" in html
    assert "control (without the cause)" in html  # the run without padding_idx


def test_evidence_must_be_json_like():
    with pytest.raises(TypeError, match="evidence must be JSON-like"):
        Evidence(True, {"x": object()})
    with pytest.raises(TypeError, match="holds must be a bool"):
        Evidence(1, [])


def test_unknown_claim_is_a_key_error():
    with pytest.raises(KeyError, match="no claim"):
        claims.check("torch.no-such-claim")


def test_versions_are_read_without_importing_frameworks():
    found = claims.versions()
    assert {"python", "numpy", "torch", "tensorflow", "keras"} <= set(found)


ORDER_SCRIPT = """
import json, sys
from padguide import claims
ids = sorted(claims.ledger(), reverse=True)
json.dump({i: claims.check(i).shown for i in ids}, sys.stdout, sort_keys=True)
"""


@pytest.mark.claims
def test_evidence_does_not_depend_on_which_claims_ran_before():
    # A page runs a few claims, the Claims page runs all of them: the numbers must
    # agree. Here the claims ran in sorted order (test_claim_holds, or now); a fresh
    # process runs them in the reverse order. One more run of the ledger, not two.
    import os
    import subprocess
    import sys

    here = {i: claims.check(i).shown for i in sorted(LEDGER)}
    reverse = subprocess.run(
        [sys.executable, "-c", ORDER_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"},
    )
    assert json.loads(reverse.stdout) == json.loads(json.dumps(here, sort_keys=True))
