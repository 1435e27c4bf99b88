"""``sitemap.xml`` of every page, written after each build (incremental ones too).

Search engines read it to find every page of the hosted book; Sphinx writes
only the pages a build changed, so the map is made from the environment's
list of every known page, not from what this build wrote.
"""

from __future__ import annotations

from pathlib import Path


def sitemap_xml(base: str, pages: list[str]) -> str:
    base = base.rstrip("/") + "/"
    urls = "".join(f"<url><loc>{base}{page}.html</loc></url>" for page in pages)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
    )


def _write(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    pages = [*sorted(app.env.found_docs), "404"]
    xml = sitemap_xml(app.config.html_baseurl, pages)
    (Path(app.outdir) / "sitemap.xml").write_text(xml, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
