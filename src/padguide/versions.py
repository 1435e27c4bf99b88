"""The version matrix: every claim's outcome on several sets of versions.

``nox -s matrix`` runs ``python -m padguide.claims`` once per set of versions
and writes one JSON report each (claim × outcome × evidence, with the
versions); these functions read the reports and compare them for the book.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["differences", "load_reports", "matrix_table"]

REFERENCE = "book"
"""The label of the report made with the versions that build the book."""


def load_reports(folder: str | Path) -> dict[str, dict]:
    """Every ``*.json`` report in ``folder``, by label, the book's versions first."""
    reports = {}
    for path in sorted(Path(folder).glob("*.json")):
        report = json.loads(path.read_text())
        reports[report.get("label") or path.stem] = report
    if not reports:
        raise FileNotFoundError(f"no version reports in {folder}: run `nox -s matrix`")
    return dict(sorted(reports.items(), key=lambda kv: kv[0] != REFERENCE))


def _outcomes(report: dict) -> dict[str, dict]:
    return {r["id"]: r for r in report["results"]}


def matrix_table(reports: dict[str, dict]):
    """One row per claim, one column per set of versions: the outcome there.

    An outcome is marked "(evidence differs)" when it equals the book's but the
    evidence does not.
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
    """Claims whose outcome differs from the book's, with both statements of evidence."""
    labels = list(reports)
    reference = _outcomes(reports[labels[0]])
    found = []
    for label in labels[1:]:
        outcomes = _outcomes(reports[label])
        for claim_id, ref in reference.items():
            got = outcomes.get(
                claim_id, {"outcome": "missing", "evidence": None, "detail": ""}
            )
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
