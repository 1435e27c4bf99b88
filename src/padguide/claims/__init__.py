"""Every statement the book makes about framework behaviour, with the check behind it.

>>> from padguide import claims
>>> result = claims.check("padguide.vocab-len-is-num-embeddings")
>>> result.outcome
<Outcome.HOLDS: 'holds'>

Subject modules (``claims/torch.py``, ``claims/keras.py`` ...) register claims
when imported; they import the frameworks only inside their checks.
"""

from __future__ import annotations

import importlib
import json
import os

from padguide.claims._ledger import (
    Claim,
    ClaimFailed,
    Evidence,
    NotApplicable,
    Outcome,
    Result,
    claim,
    jsonable,
    registered,
    run,
    versions,
)

__all__ = [
    "FAILURES_ENV",
    "SUBJECTS",
    "Claim",
    "ClaimFailed",
    "Evidence",
    "NotApplicable",
    "Outcome",
    "Result",
    "Shown",
    "check",
    "check_all",
    "claim",
    "failure_line",
    "jsonable",
    "ledger",
    "show",
    "versions",
]

SUBJECTS = (
    "padguide",
    "torch",
    "keras",
    "backends",
    "tensorflow",
    "compare",
    "huggingface",
    "masks",
    "padfree",
    "ragged",
)
"""The subject modules, in the order the Claims page lists them."""


def ledger() -> dict[str, Claim]:
    """Every registered claim, by id (importing the subject modules registers them)."""
    for subject in SUBJECTS:
        importlib.import_module(f"padguide.claims.{subject}")
    return registered()


def check(claim_id: str) -> Result:
    """Run the check of one claim (once per process) and return its result."""
    claims = ledger()
    if claim_id not in claims:
        raise KeyError(f"no claim {claim_id!r}; known claims: {len(claims)}")
    return run(claims[claim_id])


def check_all(framework: str | None = None) -> list[Result]:
    """Results of every claim, optionally of one framework only."""
    return [check(c.id) for c in ledger().values() if framework in (None, c.framework)]


class Shown(list):
    """Results that a page displays together, one box per claim."""

    def _repr_html_(self) -> str:
        return "".join(result._repr_html_() for result in self)

    def __repr__(self) -> str:
        return "\n".join(repr(result) for result in self)


FAILURES_ENV = "PADGUIDE_CLAIM_FAILURES"
"""A file to which :func:`show` appends one line per failing claim (set by the book's build)."""


def failure_line(result: Result) -> str:
    """One plain line that says which claim failed, what it states and what was found."""
    found = json.dumps(result.shown, ensure_ascii=False) if result.detail == "" else ""
    detail = f" ({result.detail})" if result.detail else ""
    return (
        f"ClaimFailed: {result.claim.id} {result.outcome}: {result.claim.statement}"
        f" — evidence: {found}{detail}".replace("\n", " ")
    )


def show(*claim_ids: str) -> Shown:
    """Claims' results for a page; raises :class:`ClaimFailed` unless every one holds.

    Every claim is checked before raising, and the message lists each one that
    does not hold, a line each. When ``$PADGUIDE_CLAIM_FAILURES`` names a file
    (the book's build sets it), the lines are also appended there, so that the
    build can list every failing claim of every page at its end.
    """
    results = Shown(check(claim_id) for claim_id in claim_ids)
    failing = [failure_line(r) for r in results if not r.holds]
    if failing:
        report = os.environ.get(FAILURES_ENV)
        if report:
            with open(report, "a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in failing))
        raise ClaimFailed(f"on {versions()}:\n" + "\n".join(failing))
    return results
