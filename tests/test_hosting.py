"""The hosted build runs the same command, from the same pins, as `nox -s docs`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
HTML = ROOT / "docs" / "_build" / "html"


def test_read_the_docs_uses_this_python_and_nox():
    build = CONFIG["build"]
    assert (
        build["tools"]["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    assert build["jobs"]["install"] == ["python -m pip install nox"]
    first, *_ = build["jobs"]["build"]["html"]
    assert first.endswith("nox -s docs")
    assert (
        "https://download.pytorch.org/whl/cpu" in first
    )  # CPU PyTorch, not the CUDA wheel
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()


@pytest.mark.html
@pytest.mark.skipif(not (HTML / "index.html").exists(), reason="the book is not built")
def test_read_the_docs_steps_publish_the_built_book(tmp_path):
    # The build itself is `nox -s docs` (already run); the remaining steps publish it.
    _, *publish = CONFIG["build"]["jobs"]["build"]["html"]
    for command in publish:
        subprocess.run(
            ["bash", "-ec", command],
            cwd=ROOT,
            env={**os.environ, "READTHEDOCS_OUTPUT": str(tmp_path)},
            check=True,
        )
    assert (tmp_path / "html" / "index.html").exists()
    assert (tmp_path / "html" / "sitemap.xml").exists()
    assert (tmp_path / "html" / "404.html").exists()


@pytest.mark.html
@pytest.mark.skipif(not (HTML / "index.html").exists(), reason="the book is not built")
def test_site_metadata():
    index = (HTML / "index.html").read_text()
    assert '<meta property="og:title"' in index
    assert '<link rel="canonical"' in index
    assert 'rel="icon"' in index
    assert "padguide-claim" not in (HTML / "404.html").read_text()
    sitemap = (HTML / "sitemap.xml").read_text()
    assert "padding-idx.html" in sitemap
