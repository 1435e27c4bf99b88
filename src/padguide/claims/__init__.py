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
    "jsonable",
    "ledger",
    "show",
    "versions",
]

SUBJECTS = ("padguide", "torch", "keras", "tensorflow", "compare")
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


def show(*claim_ids: str) -> Shown:
    """Claims' results for a page; raises :class:`ClaimFailed` unless every one holds."""
    results = Shown(check(claim_id) for claim_id in claim_ids)
    for result in results:
        if not result.holds:
            raise ClaimFailed(
                f"claim {result.claim.id} {result.outcome} on {versions()}: "
                f"{result.claim.statement} -- evidence {result.shown} {result.detail}"
            )
    return results
