"""End a build whose claims fail with one plain line per failing claim.

Each page's kernel appends a line for every claim that does not hold to a file
named by ``$PADGUIDE_CLAIM_FAILURES`` (see ``padguide.claims.show``); pages
keep executing (``nb_execution_raise_on_error = False``), so the build sees
every page's failures, and at its end this extension logs them, one line per
claim, as errors. Kernels run with a profile that prints no colour codes.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
ENV = "PADGUIDE_CLAIM_FAILURES"


def _report_path(app) -> Path:
    return Path(app.doctreedir) / "claim-failures.txt"


def _start(app) -> None:
    path = _report_path(app)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.environ[ENV] = str(path)  # kernels start later and inherit it
    # Kernels print tracebacks without colour codes, so a failing build's log
    # reads as plain text (and no reader's own IPython profile changes a page).
    profile = Path(app.doctreedir) / "ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "ipython_kernel_config.py").write_text(
        'c.InteractiveShell.colors = "nocolor"\n'
    )
    os.environ["IPYTHONDIR"] = str(profile.parent)


def failing_claims(path: Path) -> list[str]:
    """The lines kernels wrote, each claim once, in the order they failed."""
    if not path.exists():
        return []
    return list(dict.fromkeys(line for line in path.read_text().splitlines() if line))


def _finish(app, exception) -> None:
    lines = failing_claims(_report_path(app))
    if lines:
        logger.error(
            "%d claim(s) of the book do not hold on the installed versions:\n%s",
            len(lines),
            "\n".join(lines),
            type="padguide",
            subtype="claims",
        )


def setup(app):
    app.connect("builder-inited", _start)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
