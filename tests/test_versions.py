"""The version matrix: reading reports and comparing them with the book's."""

from __future__ import annotations

import json

import pytest

from padguide.recorded import differences, load_reports, matrix_table


def report(label, outcomes):
    return {
        "label": label,
        "keras_module": "keras",
        "versions": {"keras": label},
        "results": [
            {
                "id": cid,
                "statement": f"{cid} is true",
                "outcome": out,
                "evidence": ev,
                "detail": "",
            }
            for cid, (out, ev) in outcomes.items()
        ],
    }


@pytest.fixture
def folder(tmp_path):
    book = report(
        "book", {"a.x": ("holds", [1]), "a.y": ("holds", [2]), "a.z": ("holds", 3)}
    )
    other = report(
        "old", {"a.x": ("holds", [1]), "a.y": ("fails", [9]), "a.z": ("holds", 4)}
    )
    (tmp_path / "zz-book.json").write_text(json.dumps(book))
    (tmp_path / "aa-old.json").write_text(json.dumps(other))
    return tmp_path


def test_book_column_comes_first_and_differences_are_named(folder):
    reports = load_reports(folder)
    assert list(reports) == ["book", "old"]
    table = matrix_table(reports)
    assert table.loc["a.x", "old"] == "holds"
    assert table.loc["a.y", "old"] == "fails"
    assert table.loc["a.z", "old"] == "holds (evidence differs)"
    found = differences(reports)
    assert [
        (d["claim"], d["outcome"], d["evidence"], d["book evidence"]) for d in found
    ] == [("a.y", "fails", [9], [2])]


def test_no_reports_says_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="nox -s matrix"):
        load_reports(tmp_path)


def test_recorded_matrix_covers_every_claim():
    from pathlib import Path

    from padguide import claims

    folder = Path(__file__).resolve().parents[1] / "docs" / "_data" / "matrix"
    reports = load_reports(folder)
    assert {"book", "keras2", "tf218"} <= {p.stem for p in folder.glob("*.json")}
    for label, rep in reports.items():
        assert {r["id"] for r in rep["results"]} == set(claims.ledger()), label
