"""No empty header cells in the tables that pages compute.

pandas writes an empty ``<th>`` in the corner of every table, and a row of
empty ones under the column names when the index is named. A screen reader
announces each as a header with no name; an empty cell names nothing, so it
becomes a data cell (``<td>``). Only the HTML outputs of executed cells are
touched, nothing the pages' authors wrote.
"""

from __future__ import annotations

import re

from docutils import nodes

_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>(?:\s|&nbsp;|&#160;)*</th>")


def without_empty_headers(html: str) -> str:
    return _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", html)


def _fix(app, doctree, docname):
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or "<th" not in raw.astext():
            continue
        fixed = without_empty_headers(raw.astext())
        if fixed != raw.astext():
            raw.replace_self(nodes.raw("", fixed, **raw.attributes))


def setup(app):
    app.connect("doctree-resolved", _fix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
