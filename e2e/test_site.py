"""The book as a reader meets it in a browser."""

from __future__ import annotations

import inspect

import pytest
from conftest import site_pages

import padguide.numpy as pn

PAGES = site_pages()
READER_PAGES = [
    p for p in PAGES if p not in {"genindex.html", "search.html", "py-modindex.html"}
]


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_clean_and_is_screenshotted(new_page, base_url, artifacts, path):
    page = new_page()
    page.goto(base_url + path, wait_until="networkidle")
    page.screenshot(
        path=str(artifacts / (path.replace("/", "__").removesuffix(".html") + ".png")),
        full_page=True,
    )
    assert page.errors == []
    assert page.failed == []


def _selected_tab(page, index=0):
    return (
        page.locator(".sd-tab-set")
        .nth(index)
        .locator("input:checked + label")
        .inner_text()
    )


def test_framework_tabs_switch_together_and_persist(new_page, base_url):
    page = new_page()
    page.goto(base_url + "recipes/masks-and-lengths.html")
    assert _selected_tab(page) == "NumPy"
    page.locator(".sd-tab-set").first.locator("label", has_text="Keras").click()
    sets = page.locator(".sd-tab-set").count()
    assert sets > 1
    assert {_selected_tab(page, i) for i in range(sets)} == {"Keras"}
    page.goto(
        base_url + "recipes/pooling.html"
    )  # same browser tab: the choice follows the reader
    assert _selected_tab(page) == "Keras"
    page.goto(base_url + "side-by-side.html")
    assert _selected_tab(page) == "Keras"


def test_copy_button_yields_exactly_the_recipe(new_page, base_url):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(base_url + "recipes/pooling.html")
    block = page.locator(".sd-tab-set").first.locator(".highlight").first
    block.hover()
    block.locator("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert (
        copied.strip() == block.locator("pre").inner_text().strip()
    )  # what the page shows
    expected = "import numpy as np\n" + inspect.getsource(pn.masked_mean)
    # Line for line the recipe's source (blank lines aside): no prompts stripped, no output.
    assert [ln for ln in copied.splitlines() if ln.strip()] == [
        ln for ln in expected.splitlines() if ln.strip()
    ]


@pytest.mark.parametrize("term", ["padding_idx", "mask_zero", "IndexedSlices"])
def test_search_finds(new_page, base_url, term):
    page = new_page()
    page.goto(f"{base_url}search.html?q={term}")
    page.wait_for_selector("ul.search li", timeout=15_000)
    assert page.locator("ul.search li").count() >= 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_figure_displays(new_page, base_url, scheme):
    page = new_page(color_scheme=scheme)
    shown = 0
    for path in READER_PAGES:
        page.goto(base_url + path, wait_until="networkidle")
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        for img in page.locator("article img").all():
            img.scroll_into_view_if_needed()
            assert img.evaluate("i => i.complete && i.naturalWidth") > 0, (
                path,
                img.get_attribute("src"),
            )
            shown += 1
    assert shown >= 6


def test_narrow_viewport_scrolls_only_inside_code_and_tables(new_page, base_url):
    page = new_page(viewport={"width": 390, "height": 844})
    for path in PAGES:
        page.goto(base_url + path, wait_until="networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, (path, width)
