"""Keras claims on each backend: the ledger's ``backends``, and the claims run on JAX and PyTorch."""

from __future__ import annotations

import json

import pytest

from padguide import claims
from padguide.claims import backends as on
from padguide.claims._ledger import Claim, Evidence, Outcome, claim, registered, run
from padguide.keras_backend import BACKENDS, current_backend


def test_keras_tensorflow_and_compare_claims_speak_for_tensorflow_by_default():
    ledger = claims.ledger()
    for c in ledger.values():
        if c.framework in ("tensorflow", "compare"):
            assert c.backends == ("tensorflow",), c.id
        if c.framework in ("torch", "padguide"):
            assert c.backends is None, c.id
    assert ledger["keras.mask-is-ids-not-zero"].backends == ("tensorflow",)
    assert ledger["keras.id-past-table-is-nan-on-jax"].backends == ("jax",)


def test_a_claim_is_not_applicable_on_a_backend_it_does_not_name():
    elsewhere = tuple(b for b in BACKENDS if b != current_backend())
    other = Claim(
        "keras.test-only-elsewhere", "keras", "A.", lambda: Evidence(True, 1), elsewhere
    )
    result = run(other)
    assert result.outcome is Outcome.NOT_APPLICABLE
    assert current_backend() in result.detail
    assert result.to_json()["backends"] == list(elsewhere)
    here = Claim(
        "keras.test-only-here", "keras", "A.", lambda: Evidence(True, 1), BACKENDS
    )
    assert run(here).outcome is Outcome.HOLDS


def test_unknown_backends_are_refused():
    with pytest.raises(ValueError, match="backends must be among"):
        claim(
            "keras.test-only-mxnet",
            framework="keras",
            statement="A.",
            backends=("mxnet",),
        )
    assert "keras.test-only-mxnet" not in registered()


def test_keras_2_runs_on_tensorflow(monkeypatch):
    monkeypatch.setenv("PADGUIDE_KERAS", "tf_keras")
    assert current_backend() == "tensorflow"


def test_every_backend_claim_is_backed_by_one_backend_at_least():
    mine = [c for c in claims.ledger().values() if c.check.__module__ == on.__name__]
    assert len(mine) >= 10
    for backend in BACKENDS:
        assert on.speaks_for(backend)
    # The differences the book reports: one backend each.
    assert on.speaks_for("jax") != on.speaks_for("tensorflow")


@pytest.mark.claims
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "tensorflow"])
def test_claims_hold_on_their_backend(backend):
    found = on.on_backend(backend)
    assert found["run"].backend == backend
    for result in found["results"]:
        json.dumps(result.to_json())
        if backend in (result.claim.backends or BACKENDS):
            assert result.outcome is Outcome.HOLDS, (
                result.claim.id,
                result.detail,
                result.shown,
            )
        else:
            assert result.outcome is Outcome.NOT_APPLICABLE, result.claim.id
    shown = on.show_on(backend, *on.speaks_for(backend))
    html = shown._repr_html_()
    assert f'-{backend}"' in html
    assert "✓" in html


def test_controls_come_out_the_other_way_on_jax():
    found = {r.claim.id: r for r in on.on_backend("jax")["results"]}
    nan = found["keras.id-past-table-is-nan-on-jax"]
    assert nan.control_differs is True
    assert nan.control == {"id 4 finite": True}
    traced = found["keras.jax-keeps-traced-masks-apart"]
    assert traced.control == {"eager: x._keras_mask = mask": "set"}


def test_show_on_raises_when_a_claim_does_not_hold_there():
    with pytest.raises(claims.ClaimFailed, match="id-past-table-is-nan-on-jax"):
        on.show_on("torch", "keras.id-past-table-is-nan-on-jax")


def test_the_matrix_compares_a_claim_only_where_it_speaks(tmp_path):
    from padguide.recorded import (
        NOT_THIS_BACKEND,
        differences,
        load_reports,
        matrix_table,
    )

    def report(label, backend, outcomes):
        results = [
            {
                "id": cid,
                "statement": "S.",
                "outcome": out,
                "evidence": 1,
                "detail": "",
                **extra,
            }
            for cid, (out, extra) in outcomes.items()
        ]
        return {
            "label": label,
            "keras_module": "keras",
            "keras_backend": backend,
            "versions": {},
            "results": results,
        }

    tf_only, jax_only, anywhere = (
        {"backends": ["tensorflow"]},
        {"backends": ["jax"]},
        {},
    )
    book = report(
        "book",
        "tensorflow",
        {
            "k.tf": ("holds", tf_only),
            "k.jax": ("not applicable", jax_only),
            "k.any": ("holds", anywhere),
        },
    )
    jax = report(
        "jax",
        "jax",
        {
            "k.tf": ("not applicable", tf_only),
            "k.jax": ("holds", jax_only),
            "k.any": ("fails", anywhere),
        },
    )
    (tmp_path / "book.json").write_text(json.dumps(book))
    (tmp_path / "jax.json").write_text(json.dumps(jax))
    reports = load_reports(tmp_path)
    table = matrix_table(reports)
    assert table.loc["k.tf", "jax"] == NOT_THIS_BACKEND
    assert table.loc["k.jax", "book"] == NOT_THIS_BACKEND
    assert table.loc["k.jax", "jax"] == "holds"
    assert [d["claim"] for d in differences(reports)] == ["k.any"]


def test_show_elsewhere_keeps_the_claims_own_anchor():
    ids = [c for c in on.speaks_for("jax") if not on.applies_here(c)]
    assert "keras.id-past-table-is-nan-on-jax" in ids
    html = on.show_elsewhere(*ids)._repr_html_()
    for claim_id in ids:
        assert f'id="claim-{claim_id}"' in html
    assert "on Keras 3 with the jax backend" in html
