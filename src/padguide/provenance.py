"""Which versions, machine and commit produced a result: the ground floor.

:func:`versions` reads installed distributions without importing them, so the
book's configuration, the benchmarks and the claims ledger can all call it
cheaply; :func:`provenance` adds the machine, the date and the command of a
measurement.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["DISTRIBUTIONS", "provenance", "repository_url", "source_url", "versions"]

DISTRIBUTIONS = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow-cpu", "tensorflow"),
    "keras": ("keras",),
    "tf-keras": ("tf-keras",),
    "jax": ("jax",),
    "transformers": ("transformers",),
    "numpy": ("numpy",),
}


def versions() -> dict[str, str]:
    """Python and the installed framework versions, read without importing them."""
    found = {"python": platform.python_version()}
    for name, candidates in DISTRIBUTIONS.items():
        for dist in candidates:
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def provenance(command: list[str] | None = None) -> dict:
    """Versions, machine, date and command of a measurement."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "versions": versions(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
        },
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(command or sys.argv),
        "commit": commit,
    }


def repository_url() -> str:
    """The repository's address, from ``[project.urls] Source`` in ``pyproject.toml``."""
    for entry in metadata.metadata("padguide").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "source":
            return url.strip()
    raise LookupError("pyproject.toml names no Source URL for padguide")


def source_url(function) -> str:
    """Where ``function`` of padguide is defined, as a link into the repository."""
    import inspect

    path = Path(inspect.getsourcefile(function)).resolve()
    package = Path(__file__).resolve().parent
    relative = path.relative_to(package.parent.parent).as_posix()
    line = inspect.getsourcelines(function)[1]
    return f"{repository_url()}/blob/main/{relative}#L{line}"
