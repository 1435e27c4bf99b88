"""Plain results that experiments return and pages, claims, tests and figures read.

Everything here is numpy and plain Python: no framework tensor ever leaves an
experiment. Tables (pandas) are built on demand, for pages only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "EmbeddingRun",
    "SparseGradient",
    "check_ids",
    "labelled_table",
    "row_labels",
]

DECIMALS = 4
"""Tensors are shown rounded to this many decimals."""


def check_ids(ids, tokens: list[str]) -> np.ndarray:
    """``ids`` as a ``(batch, time)`` integer array of valid rows of a ``len(tokens)`` table."""
    try:
        ids = np.asarray(ids)
    except ValueError:
        raise ValueError(
            "ids must be rectangular (batch, time): pad them first"
        ) from None
    if ids.ndim != 2:
        raise ValueError(
            f"ids must be two-dimensional (batch, time), got shape {ids.shape}"
        )
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must hold integers, got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(tokens)):
        bad = int(ids.min()) if ids.min() < 0 else int(ids.max())
        raise ValueError(
            f"ids must lie in [0, {len(tokens)}) (one row per token), got {bad}"
        )
    return ids.astype(np.int64)


def row_labels(tokens: list[str], pad_id: int = 0) -> list[str]:
    """``"id token"`` labels for embedding rows, with the pad row marked."""
    return [
        f"{i} {tok}" + (" ← pad" if i == pad_id else "") for i, tok in enumerate(tokens)
    ]


def labelled_table(
    values: np.ndarray, labels: list[str], prefix: str = "d", **extra: Any
):
    """A rounded pandas table of a ``(rows, dims)`` array, one labelled row per embedding row."""
    import pandas as pd

    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    columns = [f"{prefix}{j}" for j in range(values.shape[1])]
    # "+ 0.0" turns -0.0 into 0.0, so a zero pad row reads as zero.
    table = pd.DataFrame(
        np.round(values, DECIMALS) + 0.0, index=labels, columns=columns
    )
    for name, column in extra.items():
        table[name] = column
    return table


@dataclass(frozen=True)
class SparseGradient:
    """A gradient stored as rows: TensorFlow's ``IndexedSlices``, PyTorch's sparse COO."""

    indices: np.ndarray
    """Row index of each slice, repeated once per lookup (uncoalesced)."""
    values: np.ndarray
    """``(len(indices), dim)``: one gradient slice per lookup."""
    dense_shape: tuple[int, ...]
    kind: str
    """The framework object it came from, e.g. ``"tf.IndexedSlices"``."""

    def to_dense(self) -> np.ndarray:
        """Sum the slices into a dense gradient; duplicate indices add up."""
        dense = np.zeros(self.dense_shape, dtype=self.values.dtype)
        np.add.at(dense, self.indices, self.values)
        return dense


@dataclass(frozen=True)
class EmbeddingRun:
    """One forward and backward pass: embedding → dense layer → weighted sum.

    The model is the classic demonstration of ``padding_idx``: each position's
    output is multiplied by a fixed random weight and the products are summed
    into a scalar loss, so every position has its own, known, upstream gradient.
    """

    framework: str
    ids: np.ndarray
    """``(batch, time)`` input ids."""
    tokens: list[str]
    """The token of each embedding row (row 0 is the pad row)."""
    weight: np.ndarray
    """``(rows, dim)`` embedding weights before the backward pass."""
    outputs: np.ndarray
    """``(batch, time)`` the dense layer's output at each position."""
    position_weights: np.ndarray
    """``(batch, time)`` the random weight of each position in the loss."""
    loss: float
    gradient: np.ndarray
    """``(rows, dim)`` the embedding's gradient, dense."""
    mask: np.ndarray | None = None
    """``(batch, time)`` the mask the embedding emitted (Keras), else None."""
    sparse: SparseGradient | None = None
    """The gradient as the framework returned it, when it was not dense."""
    notes: dict[str, Any] = field(default_factory=dict)

    pad_id: int = 0

    @property
    def counts(self) -> np.ndarray:
        """How often each row's id occurs in ``ids``."""
        return np.bincount(self.ids.ravel(), minlength=len(self.tokens))

    @property
    def labels(self) -> list[str]:
        return row_labels(self.tokens, self.pad_id)

    @property
    def pad_row_gradient(self) -> np.ndarray:
        return self.gradient[self.pad_id]

    @property
    def pad_output(self) -> np.ndarray:
        """The dense layer's outputs at the padded positions."""
        return self.outputs[self.ids == self.pad_id]

    def gradient_by_hand(self) -> np.ndarray:
        """Each row's gradient by the chain rule, in numpy, with the pad row held at zero.

        d loss / d row i = (sum of the position weights where id i occurs) × the
        dense layer's weight: what the framework's gradient must equal when the
        pad row is excluded (``padding_idx``). Needs the run's ``linear_weight``.
        """
        if "linear_weight" not in self.notes:
            raise ValueError(
                f"this run ({self.framework}) has no notes['linear_weight'] to apply"
            )
        kernel = np.asarray(self.notes["linear_weight"], dtype=np.float64).reshape(-1)
        grad = np.zeros(self.gradient.shape)
        for i in range(len(self.tokens)):
            if i != self.pad_id:
                grad[i] = self.position_weights[self.ids == i].sum() * kernel
        return grad

    def gradient_table(self, rows: list[int] | None = None, by_hand: bool = False):
        """The gradient by row, labelled by token, with each id's count in the batch.

        ``by_hand=True`` adds the first dimension of :meth:`gradient_by_hand`.
        """
        rows = list(range(len(self.tokens))) if rows is None else rows
        table = labelled_table(
            self.gradient[rows],
            [self.labels[r] for r in rows],
            prefix="grad d",
            count=self.counts[rows],
        )
        if by_hand:
            table["by hand"] = (
                np.round(self.gradient_by_hand()[rows, 0], DECIMALS) + 0.0
            )
        return table

    def weight_table(self, rows: list[int] | None = None):
        """The embedding weights by row, labelled by token."""
        rows = list(range(len(self.tokens))) if rows is None else rows
        return labelled_table(
            self.weight[rows], [self.labels[r] for r in rows], prefix="d"
        )


class TextTable:
    """A table of text for a page: every cell in full, the same HTML at every build.

    pandas truncates long cells in a DataFrame's HTML, and a Styler's plain-text
    form carries its memory address; this renders through a Styler with a fixed
    id and prints as plain text.
    """

    def __init__(self, data, uuid: str, index: bool = True) -> None:
        self.data = data
        self._uuid = uuid
        self._index = index

    def _repr_html_(self) -> str:
        styler = self.data.style.set_uuid(self._uuid)
        if not self._index:
            styler = styler.hide(axis="index")
        return styler.set_table_attributes('class="dataframe padguide-text"').to_html()

    def __repr__(self) -> str:
        return self.data.to_string(index=self._index)
