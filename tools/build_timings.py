"""Time the book's build as a contributor meets it, and check that it is reproducible.

Run through ``nox -s buildbench``. Side by side in one run, into fresh folders
(the working tree's own build and cache are left alone):

1. a cold build (empty execution cache), with no network at all;
2. an unchanged rebuild;
3. a rebuild after editing one page's code;
4. a rebuild after editing ``src/padguide``.

Each edit is a comment, undone afterwards. Build 4 executes every page again,
so its outputs are compared with build 1's, cell by cell, except cells tagged
``measurement``: two clean executions must agree. Writes
``docs/_data/build/timings.json`` (or ``--out``) with its provenance.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "padding-a-batch.md"
SOURCE = ROOT / "src" / "padguide" / "figures.py"
EXECUTED = re.compile(r"(\S+\.md): Executed notebook in ([\d.]+) seconds")


def build(work: Path, offline: bool = False) -> dict:
    """One sphinx-build into ``work``; its wall time and the pages it executed."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going", "-j", "auto",
               "-d", str(work / "doctrees"), "docs", str(work / "html")]  # fmt: skip
    if offline:  # a network namespace with only the loopback the kernels talk over
        command = [
            "unshare",
            "-n",
            "sh",
            "-c",
            'ip link set lo up && exec "$@"',
            "sh",
            *command,
        ]
    env = {
        **os.environ,
        "PADGUIDE_CACHE_DIR": str(work / "cache"),
        "PADGUIDE_EXECUTION": "cache",
    }
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"build failed ({'offline' if offline else 'online'})")
    executed = {
        Path(m[1]).stem: float(m[2])
        for m in EXECUTED.finditer(done.stdout + done.stderr)
    }
    return {"seconds": seconds, "executed": executed}


def outputs(work: Path) -> dict[str, list]:
    """Every executed page's cell outputs, measurement cells left out."""
    found = {}
    for notebook in sorted(
        (work / "html").parent.glob("**/jupyter_execute/**/*.ipynb")
    ):
        cells = json.loads(notebook.read_text())["cells"]
        found[notebook.stem] = [
            cell.get("outputs", [])
            for cell in cells
            if cell["cell_type"] == "code"
            and "measurement" not in cell["metadata"].get("tags", [])
        ]
    return found


def edited(path: Path):
    """A context that appends a comment to ``path`` and restores it afterwards."""

    class Edit:
        def __enter__(self):
            self.text = path.read_text()
            if (
                path.suffix == ".md"
            ):  # into the first code cell, so the page's code changes
                start = self.text.index(
                    "```{code-cell}"
                )  # the end of the first code cell
                end = self.text.index("\n```", start + 3)
                path.write_text(self.text[:end] + "\n# timing probe" + self.text[end:])
            else:
                path.write_text(self.text + "\n# timing probe\n")

        def __exit__(self, *exc):
            path.write_text(self.text)

    return Edit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "_data" / "build" / "timings.json"
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from padguide.provenance import provenance

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cold = build(work, offline=True)
        first = outputs(work)
        unchanged = build(work)
        with edited(PAGE):
            one_page = build(work)
        with edited(SOURCE):
            source = build(work)
        second = outputs(work)
    serial = sum(cold["executed"].values())
    differing = sorted(page for page in first if first[page] != second.get(page))
    examples = {}
    for page in differing:
        for i, (a, b) in enumerate(
            zip(first[page], second.get(page, []), strict=False)
        ):
            if a != b:
                examples[page] = {
                    "cell": i,
                    "first": json.dumps(a)[:600],
                    "second": json.dumps(b)[:600],
                }
                break
    result = {
        "cold": cold,
        "unchanged": unchanged,
        "edit_one_page": {**one_page, "page": PAGE.stem},
        "edit_source": {**source, "file": str(SOURCE.relative_to(ROOT))},
        "sum_of_page_execution_seconds": serial,
        "cold_over_serial": cold["seconds"] / serial if serial else None,
        "pages": len(first),
        "reproducible": not differing,
        "pages_whose_outputs_differ": differing,
        "first_difference": examples,
        "offline_cold_build": True,
        "provenance": provenance(["nox", "-s", "buildbench"]),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"cold {cold['seconds']:.1f} s ({len(cold['executed'])} pages executed, serial sum {serial:.1f} s)"
    )
    print(
        f"unchanged {unchanged['seconds']:.1f} s ({len(unchanged['executed'])} executed)"
    )
    print(
        f"one page edited {one_page['seconds']:.1f} s (executed: {sorted(one_page['executed'])})"
    )
    print(f"src edited {source['seconds']:.1f} s ({len(source['executed'])} executed)")
    print(f"reproducible: {not differing} {differing}")
    return 0 if not differing else 1


if __name__ == "__main__":
    raise SystemExit(main())
