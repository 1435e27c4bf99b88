"""What a reader takes away from a page: the repository, an edit, an issue, a notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import site_pages

from padguide.provenance import repository_url

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = repository_url()
NOTEBOOK_PAGES = ["padding-idx", "recipes/pooling", "cost-of-padding"]


def _hrefs(page) -> list[str]:
    return page.locator(".article-header-buttons a[href]").evaluate_all(
        "links => links.map(a => a.href)"
    )


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_header_links_to_repository_edit_and_issue(new_page, base_url, name):
    page = new_page()
    page.goto(f"{base_url}{name}.html")
    hrefs = _hrefs(page)
    assert REPOSITORY in hrefs
    edit = f"{REPOSITORY}/edit/main/docs/{name}.md"
    assert edit in hrefs
    assert (ROOT / "docs" / f"{name}.md").exists(), "the edit button names a real file"
    assert any(h.startswith(f"{REPOSITORY}/issues/new") for h in hrefs)


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_launch_opens_the_page_on_binder_and_nowhere_it_cannot(
    new_page, base_url, name
):
    page = new_page()
    page.goto(f"{base_url}{name}.html")
    hrefs = _hrefs(page)
    owner_repo = REPOSITORY.removeprefix("https://github.com/")
    binder = (
        f"https://mybinder.org/v2/gh/{owner_repo}/main?urlpath=lab/tree/docs/{name}.md"
    )
    assert binder in hrefs
    assert (ROOT / "binder" / "requirements.txt").exists()
    assert not any("colab" in h for h in hrefs)


def test_every_executed_page_downloads_as_a_notebook(new_page, base_url):
    page = new_page()
    checked = 0
    for path in site_pages():
        page.goto(base_url + path)
        links = page.locator(".article-header-buttons a[href$='.ipynb']")
        if not links.count():
            continue
        response = page.request.get(links.first.evaluate("a => a.href"))
        assert response.ok, (path, response.status)
        notebook = json.loads(response.body())
        first = notebook["cells"][0]
        assert "padguide-install" in first["metadata"]["tags"], path
        assert "%pip install" in "".join(first["source"]), path
        assert notebook["metadata"]["kernelspec"]["name"] == "python3"
        checked += 1
    assert checked >= 12


def test_one_search_box_on_desktop(new_page, base_url):
    page = new_page()
    page.goto(base_url + "padding-idx.html")
    boxes = page.locator(
        "form.bd-search:visible, button.search-button-field:visible, "
        "button.search-button:visible"
    )
    assert boxes.count() == 1, boxes.evaluate_all("els => els.map(e => e.outerHTML)")
