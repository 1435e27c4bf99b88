"""The book's recorded data in ``docs/_data``: loaders, and the tables and sentences made of it.

Three kinds of record, each written by a nox session with its provenance and
committed, so that the book shows measurements it could not make at build:

- ``bench/*.json`` -- the benchmarks of "The cost of padding" (``nox -s bench``);
- ``matrix/*.json`` -- every claim's outcome on other sets of versions
  (``nox -s matrix``), read by :func:`load_reports`, :func:`matrix_table` and
  :func:`differences`;
- ``build/timings.json`` -- build timings and reproducibility (``nox -s buildbench``).

Pages call these functions and render what they return; nothing here computes
a measurement.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = [
    "DATA",
    "bench",
    "build_report",
    "build_summary",
    "build_table",
    "build_timings",
    "differences",
    "differences_table",
    "load_reports",
    "matrix_table",
    "recipe_cost_glue",
    "sparse_glue",
    "speaks_for",
    "training_glue",
    "version_sets",
]

DATA = Path(__file__).resolve().parents[2] / "docs" / "_data"
"""``docs/_data`` of the repository this package was installed from (editable)."""


def _read(path: Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is not recorded: run the nox session that writes it"
        )
    return json.loads(path.read_text())


def bench(name: str, folder: str | Path | None = None) -> dict:
    """A recorded benchmark, ``docs/_data/bench/<name>.json`` (``nox -s bench``)."""
    return _read((DATA / "bench" if folder is None else Path(folder)) / f"{name}.json")


def training_glue(result: dict) -> dict[str, str]:
    """The values the cost chapter glues around a recorded training-step run."""
    meta = result["provenance"]
    return {
        "rec_date": meta["date"],
        "rec_machine": f"{meta['machine']['processor']}, {meta['machine']['cpus']} CPUs",
        "rec_versions": ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "rec_command": meta["command"],
    }


def recipe_cost_glue(result: dict) -> dict[str, object]:
    """The values the recipes' introduction glues around the recorded recipe-cost run."""
    meta, rows, size = result["provenance"], result["rows"], result["size"]
    eager = [r for r in rows if r["mode"] == "eager"]
    compiled = [r for r in rows if r["mode"] == "compiled"]
    worst = max(eager, key=lambda r: r["overhead_pct"])
    target = result["target_eager_overhead_pct"]
    return {
        "rc_meta": f"{meta['command']}, {meta['machine']['processor']}, "
        f"{meta['machine']['cpus']} CPUs ({result['threads']} threads), {meta['date']}",
        "rc_versions": ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "rc_size": f"batch {size['batch']}, time {size['time']}, features {size['features']}",
        "rc_worst": f"{worst['recipe']} ({worst['dtype']})",
        "rc_worst_pct": worst["overhead_pct"],
        "rc_target": target,
        "rc_over": sum(r["overhead_pct"] > target for r in eager),
        "rc_n": len(eager),
        "rc_compiled_median": float(
            sorted(r["overhead_pct"] for r in compiled)[len(compiled) // 2]
        ),
    }


def sparse_glue(result: dict) -> dict[str, object]:
    """The values the cost chapter glues around the recorded dense-against-sparse run."""
    from padguide.bench import crossover

    meta = result["provenance"]
    found = {}
    for key, framework in (("cross_torch", "PyTorch"), ("cross_tf", "TensorFlow")):
        rows = crossover(result, framework)
        found[key] = f"{rows:,}" if rows else "no size measured"
    return {
        "sp_meta": f"{meta['command']}, {meta['machine']['processor']}, {meta['date']}",
        "sp_batch": " × ".join(str(n) for n in result["batch"]),
        "sp_dim": result["dim"],
        **found,
    }


def build_timings(path: str | Path | None = None) -> dict | None:
    """``docs/_data/build/timings.json``, recorded by ``nox -s buildbench``; None before.

    The build benchmark builds the book, Build report included, so the report
    must build before its first recording exists.
    """
    path = DATA / "build" / "timings.json" if path is None else Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def build_report(timings: dict | None) -> list:
    """What the Build report shows: the table and its sentence, or that none is recorded."""
    from IPython.display import Markdown

    if timings is None:
        return [Markdown("*Not recorded yet: run `nox -s buildbench`.*")]
    return [build_table(timings), Markdown(build_summary(timings))]


def build_table(timings: dict):
    """One row per build: seconds, pages executed, and which (when a few)."""
    import pandas as pd

    page = timings["edit_one_page"]["page"]
    module = timings["edit_code"]["file"]
    rows = {
        "cold (empty cache, no network)": timings["cold"],
        "unchanged": timings["unchanged"],
        f"one page's code edited ({page})": timings["edit_one_page"],
        f"a docstring edited ({module})": timings["edit_docstring"],
        f"code edited ({module})": timings["edit_code"],
    }
    if timings.get("execute_all") is not None:  # else compared with another build
        rows["every page executed again"] = timings["execute_all"]
    return pd.DataFrame({
        "seconds": {k: round(v["seconds"], 1) for k, v in rows.items()},
        "pages executed": {k: len(v["executed"]) for k, v in rows.items()},
        "which": {
            k: ", ".join(sorted(v["executed"])) if 0 < len(v["executed"]) < 5 else ""
            for k, v in rows.items()
        },
    })  # fmt: skip


def build_summary(timings: dict) -> str:
    """The Build report's sentence about the recorded builds (Markdown)."""
    meta = timings["provenance"]
    outputs = (
        "identical"
        if timings["reproducible"]
        else "different on " + ", ".join(timings["pages_whose_outputs_differ"])
    )
    second = (
        "the last build, which executed every page again"
        if timings.get("execute_all") is not None
        else "a second build that executed every page (`nox -s docs`)"
    )
    return (
        f"Recorded with `{meta['command']}` on {meta['machine']['processor']}, "
        f"{meta['machine']['cpus']} CPUs, {meta['date']}. Run one after another, the "
        f"{timings['pages']} pages execute in "
        f"{timings['sum_of_page_execution_seconds']:.0f} s; the cold build took "
        f"{timings['cold_over_serial']:.2f} of that, its pages executing in parallel. "
        f"The outputs of the cold build and of {second}, were {outputs}."
    )


# --- the version matrix -------------------------------------------------------------------

REFERENCE = "book"
"""The label of the report made with the versions that build the book."""


def load_reports(folder: str | Path | None = None) -> dict[str, dict]:
    """Every ``*.json`` report in ``folder``, by label, the book's versions first."""
    folder = DATA / "matrix" if folder is None else Path(folder)
    reports = {}
    for path in sorted(folder.glob("*.json")):
        report = json.loads(path.read_text())
        reports[report.get("label") or path.stem] = report
    if not reports:
        raise FileNotFoundError(f"no version reports in {folder}: run `nox -s matrix`")
    return dict(sorted(reports.items(), key=lambda kv: kv[0] != REFERENCE))


def _outcomes(report: dict) -> dict[str, dict]:
    return {r["id"]: r for r in report["results"]}


NOT_THIS_BACKEND = "not this backend"
"""A matrix cell whose claim does not speak for the set's Keras backend."""


def speaks_for(report: dict, result: dict) -> bool:
    """Whether a recorded claim speaks for the Keras backend its report ran on.

    Reports name their backend (``keras_backend``) and results the backends
    they speak for (``backends``, empty: any); older reports name neither.
    """
    backends = result.get("backends") or []
    return not backends or report.get("keras_backend", "tensorflow") in backends


def matrix_table(reports: dict[str, dict]):
    """One row per claim, one column per set of versions: the outcome there.

    An outcome is marked "(evidence differs)" when it equals the book's but the
    evidence does not, and "not this backend" where the claim does not speak for
    the set's Keras backend (a claim about JAX in a TensorFlow set).
    """
    import pandas as pd

    reference = _outcomes(next(iter(reports.values())))
    columns = {}
    for label, report in reports.items():
        outcomes = _outcomes(report)
        cells = {}
        for claim_id, ref in reference.items():
            got = outcomes.get(claim_id)
            if got is None:
                cells[claim_id] = "missing"
            elif not speaks_for(report, got):
                cells[claim_id] = NOT_THIS_BACKEND
            elif (
                got["outcome"] == ref["outcome"] and got["evidence"] != ref["evidence"]
            ):
                cells[claim_id] = f"{got['outcome']} (evidence differs)"
            else:
                cells[claim_id] = got["outcome"]
        columns[label] = cells
    table = pd.DataFrame(columns)
    table.index.name = "claim"
    return table


def differences(reports: dict[str, dict]) -> list[dict]:
    """Claims whose outcome differs from the book's, with both statements of evidence.

    A claim is compared only between sets whose Keras backend it speaks for.
    """
    labels = list(reports)
    reference = _outcomes(reports[labels[0]])
    reference_report = reports[labels[0]]
    found = []
    for label in labels[1:]:
        outcomes = _outcomes(reports[label])
        for claim_id, ref in reference.items():
            got = outcomes.get(
                claim_id, {"outcome": "missing", "evidence": None, "detail": ""}
            )
            if not (
                speaks_for(reference_report, ref) and speaks_for(reports[label], got)
            ):
                continue
            if got["outcome"] != ref["outcome"]:
                found.append({
                    "claim": claim_id,
                    "statement": ref["statement"],
                    "versions": label,
                    "outcome": got["outcome"],
                    "evidence": got["evidence"] if got["evidence"] is not None else got["detail"],
                    "book evidence": ref["evidence"],
                })  # fmt: skip
    return found


def version_sets(reports: dict[str, dict]):
    """One column per set of versions: each package's version and the Keras module."""
    import pandas as pd

    return pd.DataFrame({
        label: {**r["versions"], "Keras module": r["keras_module"]}
        for label, r in reports.items()
    }).fillna("–")  # fmt: skip


def differences_table(found: list[dict]):
    """:func:`differences` as a table, evidence written as JSON (statements left out)."""
    import pandas as pd

    table = pd.DataFrame(found).drop(columns="statement")
    for column in ("evidence", "book evidence"):
        table[column] = table[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    return table
