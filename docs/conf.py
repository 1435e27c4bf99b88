"""Sphinx configuration for the padguide book."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from datetime import date
from pathlib import Path

# Before any kernel starts: kernels inherit this environment, and TensorFlow
# must not log to a cell's stderr (which fails the build).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

DOCS = Path(__file__).parent
SRC = DOCS.parent / "src" / "padguide"
sys.path.insert(0, str(SRC.parent))
sys.path.insert(0, str(DOCS / "_ext"))

import padguide
import padguide.provenance
from padguide.provenance import versions


def _versions_key() -> str:
    """A digest of the installed versions: each set of versions keeps its own cache."""
    return hashlib.sha256(repr(sorted(versions().items())).encode()).hexdigest()[:16]


def _prune(root: Path, keep: Path) -> None:
    """Remove cache folders of other versions (and of the older whole-tree keys)."""
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and folder != keep:
                shutil.rmtree(folder, ignore_errors=True)


project = "padguide"
author = "The padguide authors"
copyright = f"{date.today().year}, {author}"
version = release = padguide.__version__

extensions = [
    "myst_nb",
    "sphinx_design",
    "sphinx_copybutton",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "notfound.extension",
    "sphinxext.opengraph",
    "apilinks",
    "claimreport",
    "claimrole",
    "claimsource",
    "freshness",
    "sitemap",
    "notebooks",
    "tables",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
nitpicky = True
# Quotes and ellipses only: "--out" in a glued command must stay two hyphens.
smartquotes_action = "qe"

myst_enable_extensions = ["colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3

nb_execution_mode = os.environ.get("PADGUIDE_EXECUTION", "cache")
_CACHE_ROOT = Path(
    os.environ.get("PADGUIDE_CACHE_DIR", DOCS / "_build" / ".jupyter_cache")
)
# A page's cache entry is keyed by its code cells, to which the freshness
# extension adds a digest of the padguide code the page runs (docs/_ext/freshness.py):
# a code change re-executes the pages that import it, a docstring edit nothing.
freshness_src = str(SRC.parent)
nb_execution_cache_path = str(_CACHE_ROOT / _versions_key())
_prune(_CACHE_ROOT, Path(nb_execution_cache_path))
nb_execution_timeout = 600
# A failing cell does not stop the build at its page: every page executes, and
# the claimreport extension lists every failing claim at the end (-W fails it).
nb_execution_raise_on_error = False
nb_execution_show_tb = True
nb_output_stderr = "error"
nb_merge_streams = True

# Site metadata. Read the Docs sets the canonical URL; elsewhere, the default host.
html_baseurl = os.environ.get(
    "READTHEDOCS_CANONICAL_URL", "https://padguide.readthedocs.io/en/latest/"
)
# The 404 page links with absolute paths: under /en/latest/ on Read the Docs, / elsewhere.
notfound_urls_prefix = "/en/latest/" if os.environ.get("READTHEDOCS") else "/"
ogp_site_url = html_baseurl
ogp_site_name = "padguide"
ogp_description_length = 200
ogp_social_cards = {
    "enable": False
}  # no generated images: nothing to fetch or draw at build

numfig = True  # every figure has a caption and a number
html_theme = "sphinx_book_theme"
html_title = "padguide"
html_static_path = ["_static"]
html_css_files = ["padguide.css"]
html_js_files = ["scrollable.js"]
html_last_updated_fmt = None  # a build date would make two builds differ
html_favicon = "_static/favicon.svg"
html_logo = "_static/logo.svg"
html_context = {"default_mode": "auto"}
# pyproject.toml's [project.urls] Source is the one place that names the repository.
REPOSITORY = padguide.provenance.repository_url()
html_theme_options = {
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_edit_page_button": True,
    "use_issues_button": True,
    # .md source, .ipynb (docs/_ext/notebooks.py: runs on its own) and print to PDF.
    "use_download_button": True,
    # Binder builds binder/ (the pinned versions, jupytext) and opens the page itself,
    # a MyST notebook, in JupyterLab. Colab opens only .ipynb files from a repository.
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "notebook_interface": "jupyterlab",
    },
}
# A reader's words reach the page that explains them before the reference pages
# that merely mention them (docs/_static/search-scorer.js).
html_search_scorer = str(DOCS / "_static" / "search-scorer.js")

copybutton_exclude = ".linenos, .gp, .go"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
# Names from other projects resolve only with their inventories (intersphinx),
# which an offline build cannot fetch: padguide's own names must all resolve.
nitpick_ignore_regex = [
    ("py:.*", r"(np|numpy|torch|tf|tensorflow|keras|pd|pandas|matplotlib)(\..*)?"),
    ("py:class", r"(collections\.abc|enum|types|pathlib)\..*"),
    # A public class's private base (shown by show-inheritance) is not documented.
    ("py:class", r"padguide\.[\w.]*\._\w+"),
]
