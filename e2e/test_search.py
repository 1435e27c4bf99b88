"""A reader's words lead to the right page first, through the built site's own search."""

from __future__ import annotations

import pytest

# What a reader types -> the page that explains it, which must be ranked first.
QUERIES = {
    "padding_idx": "padding-idx",
    "pad row gradient": "padding-idx",
    "weight decay pad row": "padding-idx",
    "mask_zero": "mask-zero",
    "which layers consume the mask": "mask-zero",
    "IndexedSlices": "indexed-slices",
    "densify IndexedSlices": "indexed-slices",
    "bucket": "cost-of-padding",
    "batching": "cost-of-padding",
    "sort by length": "cost-of-padding",
    "padding efficiency": "cost-of-padding",
    "masked mean pooling": "recipes/pooling",
    "key_padding_mask": "recipes/softmax-and-attention",
    "masked cross entropy": "recipes/losses",
    "ignore_index": "recipes/losses",
    "lengths to mask": "recipes/masks-and-lengths",
    "left padding": "padding-a-batch",
    "port embedding keras": "recipes/embeddings-and-porting",
}


def ranked(page, base_url: str, query: str) -> list[str]:
    """Pages in the order the site's search lists them, for the query."""
    page.goto(f"{base_url}search.html?q={query}")
    # searchtools.js renames its heading from "Searching" when every result is listed.
    page.wait_for_function(
        "() => document.querySelector('#search-results h2')?.textContent === 'Search Results'",
        timeout=15_000,
    )
    pages = []
    for href in page.locator("ul.search li > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    ):
        name = href.split("#")[0].removesuffix(".html")
        if name not in pages:
            pages.append(name)
    return pages


@pytest.mark.parametrize(("query", "expected"), QUERIES.items())
def test_reader_query_ranks_its_page_first(new_page, base_url, query, expected):
    pages = ranked(new_page(), base_url, query)
    assert pages, f"{query!r} found nothing"
    assert pages[0] == expected, f"{query!r}: {pages[:5]}"
