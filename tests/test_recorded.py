"""padguide.recorded: the book's recorded data read into tables and sentences."""

from __future__ import annotations

import json

import pytest

from padguide import recorded

PROVENANCE = {
    "command": "nox -s buildbench",
    "machine": {"processor": "x86_64", "cpus": 2, "platform": "Linux"},
    "date": "2026-11-25 17:00 UTC",
    "versions": {"python": "3.11.7", "torch": "2.13.0"},
}


def _timings(reproducible=True):
    run = lambda seconds, *pages: {
        "seconds": seconds,
        "executed": dict.fromkeys(pages, 1.0),
    }
    return {
        "cold": run(90.0, *(f"p{i}" for i in range(16))),
        "unchanged": run(2.0),
        "edit_one_page": {**run(5.0, "padding-a-batch"), "page": "padding-a-batch"},
        "edit_docstring": {**run(3.0), "file": "src/padguide/figures.py"},
        "edit_code": {**run(30.0, "a", "b"), "file": "src/padguide/figures.py"},
        "execute_all": run(95.0, *(f"p{i}" for i in range(16))),
        "sum_of_page_execution_seconds": 150.0,
        "cold_over_serial": 0.6,
        "pages": 16,
        "reproducible": reproducible,
        "pages_whose_outputs_differ": [] if reproducible else ["p3"],
        "provenance": PROVENANCE,
    }


def test_build_table_has_a_row_per_build_and_names_few_pages():
    table = recorded.build_table(_timings())
    assert table["pages executed"].tolist() == [16, 0, 1, 0, 2, 16]
    assert table.loc["code edited (src/padguide/figures.py)", "which"] == "a, b"
    assert (
        table.loc["cold (empty cache, no network)", "which"] == ""
    )  # too many to list


def test_a_build_compared_with_another_has_no_last_row():
    timings = {**_timings(), "execute_all": None}
    table = recorded.build_table(timings)
    assert "every page executed again" not in table.index
    assert "(`nox -s docs`)" in recorded.build_summary(timings)


def test_build_report_before_and_after_the_first_recording(tmp_path):
    assert recorded.build_timings(tmp_path / "timings.json") is None
    (before,) = recorded.build_report(None)
    assert "Not recorded yet" in before.data
    table, sentence = recorded.build_report(_timings())
    assert len(table) == 6
    assert "were identical" in sentence.data


def test_build_summary_says_whether_outputs_agreed():
    assert "were identical" in recorded.build_summary(_timings())
    assert "were different on p3" in recorded.build_summary(_timings(False))
    assert "150 s" in recorded.build_summary(_timings())


def test_bench_reads_a_recorded_file_and_names_a_missing_one(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"rows": []}))
    assert recorded.bench("x", tmp_path) == {"rows": []}
    with pytest.raises(FileNotFoundError, match="not recorded"):
        recorded.bench("missing", tmp_path)


def test_the_books_recorded_benchmarks_load_with_their_provenance():
    for name in ("training-step-lstm", "training-step-transformer", "sparse-vs-dense"):
        assert "versions" in recorded.bench(name)["provenance"]


def test_training_and_sparse_glue():
    glued = recorded.training_glue({"provenance": PROVENANCE})
    assert glued["rec_machine"] == "x86_64, 2 CPUs"
    assert glued["rec_versions"] == "python 3.11.7, torch 2.13.0"
    sparse = recorded.sparse_glue({
        "provenance": PROVENANCE, "batch": [32, 64], "dim": 64,
        "rows": [
            {"framework": "PyTorch", "vocabulary": v, "sparse": s, "seconds": sec}
            for v, s, sec in ((1000, True, 2.0), (1000, False, 1.0),
                              (100000, True, 2.0), (100000, False, 9.0))
        ],
    })  # fmt: skip
    assert sparse["sp_batch"] == "32 × 64"
    assert sparse["cross_torch"] == "100,000"
    assert sparse["cross_tf"] == "no size measured"
