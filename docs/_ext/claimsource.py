"""Claim boxes link to the line of their check, looked up when the page is written.

A claim box (rendered in a page's kernel by ``padguide.claims``) links to the
file of its check and names the check: ``href=".../claims/torch.py"
data-check="pad_row_zero_at_init"``. The line number is added here, from the
file as it is at build time, so that editing a docstring above a check moves
the link without re-executing every page that shows a claim.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

LINK = re.compile(r'href="([^"#]+/blob/[^/"]+/([^"#]+\.py))" data-check="(\w+)"')


@functools.cache
def _lines(path: Path, mtime: float) -> dict[str, int]:
    """The first line (decorators included) of each function defined in a file."""
    tree = ast.parse(path.read_text(), str(path))
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.setdefault(node.name, first)
    return found


def add_line_anchors(html: str, root: Path) -> str:
    """Append ``#L<line>`` to every check link whose function is found under ``root``."""

    def anchor(match: re.Match) -> str:
        url, relative, name = match.groups()
        path = root / relative
        line = _lines(path, path.stat().st_mtime).get(name) if path.is_file() else None
        if line is None:
            raise ValueError(f"claim check {name!r} not found in {relative}")
        return f'href="{url}#L{line}" data-check="{name}"'

    return LINK.sub(anchor, html)


def _on_page(app, pagename, templatename, context, doctree) -> None:
    if "body" in context and "data-check=" in context["body"]:
        context["body"] = add_line_anchors(context["body"], Path(app.confdir).parent)


def setup(app):
    app.connect("html-page-context", _on_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
