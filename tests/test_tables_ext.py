"""docs/_ext/tables.py: the tables pages compute have no empty header cells."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "_ext"))
import tables


def test_pandas_corner_and_index_name_cells_become_data_cells():
    frame = pd.DataFrame(
        {"a": [1, 2], "b": [3, 4]}, index=pd.Index(["x", "y"], name="token")
    )
    html = tables.without_empty_headers(frame.to_html())
    assert "<th></th>" not in html
    assert "<th>a</th>" in html
    assert "<th>token</th>" in html
    assert "<td></td>" in html


def test_styler_blank_cells_keep_their_class():
    html = tables.without_empty_headers(
        '<th class="blank level0" >&nbsp;</th><th>a</th>'
    )
    assert html == '<td class="blank level0" ></td><th>a</th>'
