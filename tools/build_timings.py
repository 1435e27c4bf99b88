"""Time the book's build as a contributor meets it, and check that it is reproducible.

Run through ``nox -s buildbench``. Side by side in one run, into fresh folders
(the working tree's own build and cache are left alone):

1. a cold build (empty execution cache), with no network at all;
2. an unchanged rebuild;
3. a rebuild after editing one page's code (a comment in its first cell);
4. a rebuild after editing a docstring in ``src/padguide`` (nothing should run);
5. a rebuild after editing that module's code (only the pages that import it,
   directly or not, should run: see docs/_ext/freshness.py);
6. a build that executes every page again (``PADGUIDE_EXECUTION=force``).

Each edit is undone afterwards. Build 6's outputs are compared with build
1's, cell by cell, except cells tagged ``measurement``: two clean executions
must agree. Writes ``docs/_data/build/timings.json`` (or ``--out``) with its
provenance.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from groups import run_in_group  # beside this script, on its sys.path

ROOT = Path(__file__).resolve().parents[1]

PAGE = ROOT / "docs" / "padding-a-batch.md"
SOURCE = ROOT / "src" / "padguide" / "figures.py"
EXECUTED = re.compile(r"(\S+\.md): Executed notebook in ([\d.]+) seconds")


def build(work: Path, offline: bool = False, force: bool = False) -> dict:
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
        "PADGUIDE_EXECUTION": "force" if force else "cache",
    }
    start = time.perf_counter()
    log = work / "build.log"
    with log.open(
        "w"
    ) as out:  # in its own process group: an interrupt ends its workers
        code = run_in_group(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    seconds = time.perf_counter() - start
    text = log.read_text()
    if code != 0:
        sys.stderr.write(text[-8000:])
        raise SystemExit(f"build failed ({'offline' if offline else 'online'})")
    executed = {Path(m[1]).stem: float(m[2]) for m in EXECUTED.finditer(text)}
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


def edited(path: Path, how: str):
    """A context that edits ``path`` and restores it afterwards.

    ``how``: "cell" puts a comment at the end of a page's first code cell (the
    page's code changes); "docstring" adds a line to a module's docstring;
    "code" adds a statement to a module.
    """

    class Edit:
        def __enter__(self):
            self.text = path.read_text()
            if how == "cell":
                start = self.text.index("```{code-cell}")
                end = self.text.index("\n```", start + 3)  # the end of the first cell
                edit = self.text[:end] + "\n# timing probe" + self.text[end:]
            elif how == "docstring":
                end = self.text.index('"""', 3)  # the end of the module's docstring
                edit = self.text[:end] + "\n\nTiming probe.\n" + self.text[end:]
            else:
                edit = self.text + "\n_TIMING_PROBE = 1\n"
            path.write_text(edit)

        def __exit__(self, *exc):
            path.write_text(self.text)

    return Edit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "_data" / "build" / "timings.json"
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="a build folder (e.g. docs/_build) whose executed pages stand in for "
        "the last build's: CI compares with the book it already executed in full",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))
    from padguide.provenance import provenance

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cold = build(work, offline=True)
        first = outputs(work)
        unchanged = build(work)
        with edited(PAGE, "cell"):
            one_page = build(work)
        with edited(SOURCE, "docstring"):
            docstring = build(work)
        with edited(SOURCE, "code"):
            code = build(work)
        if args.against is None:
            every_page = build(work, force=True)
            second = outputs(work)
        else:
            every_page = None
            second = outputs(args.against)
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
        "edit_docstring": {**docstring, "file": str(SOURCE.relative_to(ROOT))},
        "edit_code": {**code, "file": str(SOURCE.relative_to(ROOT))},
        "execute_all": every_page,
        "sum_of_page_execution_seconds": serial,
        "cold_over_serial": cold["seconds"] / serial if serial else None,
        "pages": len(first),
        "reproducible": not differing,
        "pages_whose_outputs_differ": differing,
        "first_difference": examples,
        "offline_cold_build": True,
        "provenance": provenance(
            ["nox", "-s", "buildbench", "--", *(argv or sys.argv[1:])]
        ),
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
    for name, run in (("docstring", docstring), ("code", code)):
        print(
            f"{SOURCE.name} {name} edited {run['seconds']:.1f} s "
            f"(executed: {sorted(run['executed'])})"
        )
    if every_page is not None:
        print(f"every page again {every_page['seconds']:.1f} s")
    else:
        print(f"compared with the pages executed in {args.against}")
    print(f"reproducible: {not differing} {differing}")
    return 0 if not differing else 1


if __name__ == "__main__":
    raise SystemExit(main())
