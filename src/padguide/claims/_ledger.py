"""The claims ledger: every statement the book makes about framework behaviour.

A claim is a statement plus a check that computes its evidence from the
installed frameworks. Pages render claims with :func:`show`, which raises
:class:`ClaimFailed` when a claim does not hold, so the book cannot publish
a behaviour that the installed versions do not have.
"""

from __future__ import annotations

import enum
import functools
import html
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from padguide.keras_backend import BACKENDS, current_backend
from padguide.provenance import source_url, versions

__all__ = [
    "Claim",
    "ClaimFailed",
    "Evidence",
    "NotApplicable",
    "Outcome",
    "Result",
    "claim",
    "jsonable",
    "versions",
]

FRAMEWORKS = ("torch", "keras", "tensorflow", "compare", "padguide", "huggingface")
TENSORFLOW_ONLY = ("keras", "tensorflow", "compare")
"""Frameworks whose claims speak for Keras' TensorFlow backend unless they say otherwise."""


class Outcome(enum.StrEnum):
    HOLDS = "holds"
    FAILS = "fails"
    ERROR = "error"
    NOT_APPLICABLE = "not applicable"


class NotApplicable(Exception):
    """Raised by a check when the installed version lacks the feature it is about."""


class ClaimFailed(AssertionError):
    """A claim did not hold (or its check broke) on the installed versions."""


def jsonable(value: Any, decimals: int = 6) -> Any:
    """Numbers, strings and small nested lists, rounded: evidence that can be diffed."""
    if isinstance(value, np.ndarray | np.generic):
        value = value.tolist()
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, decimals) + 0.0 if np.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v, decimals) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, decimals) for v in value]
    raise TypeError(f"evidence must be JSON-like, got {type(value).__name__}")


@dataclass(frozen=True)
class Evidence:
    """What a check found: whether the claim holds, and the numbers that show it."""

    holds: bool
    shown: Any
    """JSON-serialisable values a reader can check the statement against."""
    control: Any = None
    """What the same run gives without the cause X, for a statement "X causes Y"
    (no ``padding_idx``, ``weight_decay=0``, momentum 0, no mask consumer ...)."""
    control_differs: bool | None = None
    """Whether the control came out the other way; required with a control."""

    def __post_init__(self) -> None:
        if not isinstance(self.holds, bool | np.bool_):
            raise TypeError(f"holds must be a bool, got {type(self.holds).__name__}")
        object.__setattr__(self, "holds", bool(self.holds))
        object.__setattr__(self, "shown", jsonable(self.shown))
        if (self.control is None) != (self.control_differs is None):
            raise TypeError(
                "a control needs control_differs, and control_differs a control"
            )
        if self.control is not None:
            if not isinstance(self.control_differs, bool | np.bool_):
                raise TypeError("control_differs must be a bool")
            object.__setattr__(self, "control_differs", bool(self.control_differs))
            object.__setattr__(self, "control", jsonable(self.control))

    @property
    def decided(self) -> bool:
        """Holds, and where there is a control, the control came out the other way."""
        return self.holds and self.control_differs is not False


@dataclass(frozen=True)
class Claim:
    id: str
    framework: str
    statement: str
    check: Callable[[], Evidence] = field(repr=False)
    backends: tuple[str, ...] | None = None
    """The Keras backends the claim speaks for; ``None``: it does not depend on one."""

    @property
    def subject(self) -> str:
        return self.id.split(".", 1)[1]

    @property
    def source(self) -> str:
        """A link to the check's code in the repository (file and line)."""
        return source_url(self.check)


@dataclass(frozen=True)
class Result:
    claim: Claim
    outcome: Outcome
    shown: Any = None
    detail: str = ""
    """Why a check broke or does not apply."""
    control: Any = None
    """What the check's control run gave (without the cause), if it has one."""
    control_differs: bool | None = None

    @property
    def holds(self) -> bool:
        return self.outcome is Outcome.HOLDS

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.claim.id,
            "framework": self.claim.framework,
            "backends": list(self.claim.backends or ()),
            "statement": self.claim.statement,
            "outcome": str(self.outcome),
            "evidence": self.shown,
            "control": self.control,
            "control_differs": self.control_differs,
            "detail": self.detail,
        }

    def _repr_html_(self) -> str:
        mark = {"holds": "✓", "fails": "✗", "error": "!", "not applicable": "–"}[
            self.outcome
        ]
        evidence = json.dumps(self.shown, ensure_ascii=False)
        # The file, without a line: the book adds the line when it writes the page
        # (docs/_ext/claimsource.py), so a docstring edit re-executes nothing.
        file_url = self.claim.source.split("#")[0]
        control = ""
        if self.control is not None:
            control = (
                '<p class="padguide-claim-control">control (without the cause): '
                f"<code>{html.escape(json.dumps(self.control, ensure_ascii=False))}</code>"
                "</p>"
            )
        css = f"padguide-claim padguide-claim-{self.outcome.replace(' ', '-')}"
        return (
            f'<div class="{css}" id="claim-{html.escape(self.claim.id)}">'
            f'<p class="padguide-claim-statement"><span class="padguide-claim-mark" '
            f'title="{self.outcome} on the installed versions">{mark}</span> '
            f"{html.escape(self.claim.statement)}</p>"
            f'<p class="padguide-claim-evidence"><span class="padguide-claim-id">'
            f"{html.escape(self.claim.id)}</span> <code>{html.escape(evidence)}</code> "
            f'<a class="padguide-claim-source" href="{html.escape(file_url)}" '
            f'data-check="{html.escape(self.claim.check.__name__)}">check</a></p>'
            f"{control}</div>"
        )

    def __repr__(self) -> str:
        text = f"[{self.outcome}] {self.claim.id}: {self.claim.statement}\n  evidence: {self.shown}"
        if self.control is not None:
            text += f"\n  control: {self.control}"
        return text


_LEDGER: dict[str, Claim] = {}


def claim(
    id: str, *, framework: str, statement: str, backends: tuple[str, ...] | None = None
):
    """Register a check as the evidence for ``statement``.

    ``backends`` names the Keras backends the claim speaks for (the ledger runs
    once per backend, one process each); by default a Keras, TensorFlow or
    compare claim speaks for the TensorFlow backend only, and any other for all.
    Where this process's backend is not among them, the claim is not applicable.
    """
    if backends is None and framework in TENSORFLOW_ONLY:
        backends = ("tensorflow",)
    if backends is not None and not set(backends) <= set(BACKENDS):
        raise ValueError(f"backends must be among {BACKENDS}, got {backends!r}")
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    if not id.startswith(f"{framework}."):
        raise ValueError(f"claim id {id!r} must start with {framework!r} + '.'")

    def register(check: Callable[[], Evidence]) -> Callable[[], Evidence]:
        if id in _LEDGER:
            raise ValueError(f"claim {id!r} is registered twice")
        _LEDGER[id] = Claim(
            id, framework, statement, check, tuple(backends) if backends else None
        )
        return check

    return register


def registered() -> dict[str, Claim]:
    return _LEDGER


@functools.cache
def run(claim_: Claim) -> Result:
    """Run one claim's check and classify the outcome."""
    here = current_backend()
    if claim_.backends is not None and here not in claim_.backends:
        return Result(
            claim_,
            Outcome.NOT_APPLICABLE,
            detail=f"speaks for Keras on {' and '.join(claim_.backends)}; "
            f"this process runs Keras on {here}",
        )
    try:
        evidence = claim_.check()
    except NotApplicable as why:
        return Result(claim_, Outcome.NOT_APPLICABLE, detail=str(why))
    except Exception as err:  # noqa: BLE001 -- a broken check is an outcome of its own
        detail = "".join(traceback.format_exception_only(err)).strip()
        return Result(claim_, Outcome.ERROR, detail=detail)
    if not isinstance(evidence, Evidence):
        return Result(
            claim_, Outcome.ERROR, detail=f"check returned {type(evidence).__name__}"
        )
    # A claim with a control holds only if the control came out the other way.
    outcome = Outcome.HOLDS if evidence.decided else Outcome.FAILS
    return Result(
        claim_, outcome, evidence.shown, "", evidence.control, evidence.control_differs
    )
