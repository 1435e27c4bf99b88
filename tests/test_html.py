"""Checks of the built book (docs/_build/html), as a reader receives it.

Run `nox -s docs` first. Outside CI these tests are skipped when no build
exists; with PADGUIDE_REQUIRE_HTML=1 (set by `nox -s tests` in CI) a missing
build is a failure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HTML = DOCS / "_build" / "html"
PAGES = sorted(
    p.relative_to(DOCS).with_suffix("").as_posix()
    for p in DOCS.rglob("*.md")
    if "_build" not in p.parts
)
SHARED_RECIPES = (
    "lengths_to_mask", "mask_to_lengths", "masked_sum", "masked_mean", "masked_max",
    "masked_softmax", "to_left_padding", "to_right_padding", "masked_cross_entropy",
)  # fmt: skip

pytestmark = pytest.mark.html

if not (HTML / "index.html").exists():
    if os.environ.get("PADGUIDE_REQUIRE_HTML"):
        raise RuntimeError(
            f"no built book in {HTML}: run `nox -s docs` before the tests"
        )
    pytest.skip("the book is not built (run `nox -s docs`)", allow_module_level=True)

NOISE = re.compile(
    r"Traceback \(most recent call|oneDNN|absl::|cpu_feature_guard|TF_CPP|"
    r"UserWarning|DeprecationWarning|FutureWarning|RuntimeWarning|"
    r"will therefore destroy the mask|WARNING:|<Figure size"
)


def soup(page: str) -> BeautifulSoup:
    return BeautifulSoup(
        (HTML / f"{page}.html").read_text(encoding="utf-8"), "html.parser"
    )


def test_every_page_is_built():
    assert PAGES, "no pages found in docs/"
    missing = [p for p in PAGES if not (HTML / f"{p}.html").exists()]
    assert not missing


@pytest.mark.parametrize("page", PAGES)
def test_no_error_stderr_or_traceback_output(page):
    doc = soup(page)
    bad = doc.select(
        ".output.stderr, .output.traceback, .output.error, .system-message"
    )
    assert not bad, [b.get_text()[:200] for b in bad]


EXECUTED = sorted((DOCS / "_build" / "jupyter_execute").rglob("*.ipynb"))


@pytest.mark.parametrize("notebook", EXECUTED, ids=[p.stem for p in EXECUTED] or None)
def test_no_cell_wrote_to_stderr_or_failed_hidden_ones_included(notebook):
    """Hidden cells too: a warning in a set-up cell reaches whoever runs the notebook."""
    import json

    found = [
        (i, "".join(out.get("text", out.get("evalue", "")))[:200])
        for i, cell in enumerate(json.loads(notebook.read_text())["cells"])
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr" or out.get("output_type") == "error"
    ]
    assert not found, found


@pytest.mark.parametrize("page", PAGES)
def test_outputs_carry_no_framework_noise(page):
    doc = soup(page)
    # A warning quoted as a claim's evidence is content, not noise: in a claim box,
    # or in the versions page's table of evidence that differs between versions.
    for evidence in doc.select(".padguide-claim, #T_differences"):
        evidence.decompose()
    outputs = " ".join(o.get_text() for o in doc.select(".cell_output"))
    match = NOISE.search(outputs)
    assert match is None, outputs[max(0, match.start() - 100) : match.end() + 100]


@pytest.mark.parametrize("page", PAGES)
def test_every_glue_is_resolved(page):
    doc = soup(page)
    text = doc.select_one("article").get_text()
    assert "{glue" not in text
    assert "glue:" not in text
    # A resolved inline glue renders as a pasted value that is not empty.
    for pasted in doc.select(".pasted-text, .pasted-inline"):
        assert pasted.get_text(strip=True), f"empty glued value in {page}"


@pytest.mark.parametrize(
    "page", [p for p in PAGES if p not in {"index", "claims", "api", "build-report"}]
)
def test_pages_open_with_what_you_will_learn(page):
    # The home, claims, API and report pages introduce themselves in prose instead.
    assert "What you will learn" in soup(page).select_one("article").get_text()


def test_figures_are_present_and_not_empty():
    figures = {"padding-a-batch": 2, "side-by-side": 1, "cost-of-padding": 3}
    for page, count in figures.items():
        images = soup(page).select(".cell_output img")
        assert len(images) == count, page
        for img in images:
            path = HTML / img["src"]
            assert path.exists(), img["src"]
            assert path.stat().st_size > 5_000, f"{img['src']} looks empty"


def test_claims_page_lists_every_claim():
    from padguide import claims

    shown = {
        div["id"].removeprefix("claim-")
        for div in soup("claims").select(".padguide-claim")
    }
    assert shown == set(claims.ledger())
    assert not soup("claims").select(".padguide-claim-fails, .padguide-claim-error")


def test_pages_show_claims_that_hold():
    for page in PAGES:
        for div in soup(page).select(".padguide-claim"):
            assert "padguide-claim-holds" in div["class"], (page, div["id"])


def test_tabs_are_synced_by_framework():
    tabs = soup("side-by-side").select("input.sd-tab-set-input, label.sd-tab-label")
    assert tabs
    keys = {
        t.get("data-sync-id") for t in soup("side-by-side").select("label.sd-tab-label")
    }
    assert keys == {"torch", "keras"}


def test_home_shows_the_computed_answer_and_versions():
    doc = soup("index")
    tables = doc.select(".cell_output table")
    assert len(tables) >= 2
    text = tables[0].get_text()
    assert "padding_idx" in text
    assert "IndexedSlices" in text
    assert "torch" in tables[1].get_text()


def _recipe_blocks() -> dict[str, list[str]]:
    """For the recipe pages: tab label -> every code block shown in a tab of that label."""
    shown: dict[str, list[str]] = {}
    for page in (p for p in PAGES if p.startswith("recipes/")):
        for tab_set in soup(page).select(".sd-tab-set"):
            labels = [
                label.get_text(strip=True)
                for label in tab_set.select("label.sd-tab-label")
            ]
            contents = tab_set.select(".sd-tab-content")
            for label, content in zip(labels, contents, strict=True):
                shown.setdefault(label, []).extend(
                    pre.get_text() for pre in content.select("pre")
                )
    return shown


def _recipe_tabs() -> dict[str, str]:
    return {label: "\n".join(blocks) for label, blocks in _recipe_blocks().items()}


@pytest.mark.parametrize("name", SHARED_RECIPES)
def test_every_shared_recipe_is_shown_in_all_three_tabs(name):
    tabs = _recipe_tabs()
    for framework in ("NumPy", "PyTorch", "Keras"):
        assert f"def {name}(" in tabs.get(framework, ""), (name, framework)


@pytest.mark.parametrize(
    ("framework", "names"),
    [
        ("PyTorch", ["mask_from_ids", "key_padding_mask", "sdpa_mask"]),
        (
            "Keras",
            [
                "attention_mask",
                "class MaskedDense",
                "class PaddingIdxEmbedding",
                "densify",
            ],
        ),
    ],
)
def test_framework_only_recipes_are_shown_in_their_tab(framework, names):
    code = _recipe_tabs()[framework]
    for name in names:
        assert (name if name.startswith("class") else f"def {name}(") in code


def test_shown_recipes_start_with_their_imports():
    for label, blocks in _recipe_blocks().items():
        for block in blocks:
            if "def " in block or "class " in block:
                first = block.lstrip().splitlines()[0]
                assert first.startswith("import "), (label, first)


def test_api_links_point_to_each_frameworks_docs():
    hosts = set()
    for page in PAGES:
        for link in soup(page).select("a.api-link"):
            hosts.add(link["href"].split("/")[2])
    assert {"docs.pytorch.org", "keras.io", "www.tensorflow.org"} <= hosts


def test_api_links_reach_numpy_and_python_too():
    hosts = {
        link["href"].split("/")[2]
        for page in PAGES
        for link in soup(page).select("a.api-link")
    }
    assert {"numpy.org", "docs.python.org"} <= hosts
