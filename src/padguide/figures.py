"""Every figure the book shows (matplotlib, numpy in; a Figure out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

__all__ = ["batch_figure", "gradient_heatmaps"]

PAD_COLOR = "#d9d9d9"
REAL_COLOR = "#cfe3f6"


def batch_figure(
    tokens: Sequence[Sequence[str]],
    ids: np.ndarray,
    pad_id: int = 0,
    title: str = "",
) -> Figure:
    """A padded batch as a grid: each cell shows its token and id, pad cells hatched grey."""
    ids = np.asarray(ids)
    rows, cols = ids.shape
    fig = Figure(
        figsize=(max(4.0, 0.78 * cols), 0.5 + 0.62 * rows), layout="constrained"
    )
    ax = fig.add_subplot()
    for r in range(rows):
        cursor = iter(tokens[r])
        for c in range(cols):
            is_pad = ids[r, c] == pad_id
            ax.add_patch(Rectangle(
                (c, rows - 1 - r), 1, 1,
                facecolor=PAD_COLOR if is_pad else REAL_COLOR,
                edgecolor="white", linewidth=2, hatch="///" if is_pad else None,
            ))  # fmt: skip
            label = "<pad>" if is_pad else next(cursor)
            ax.text(
                c + 0.5,
                rows - 0.42 - r,
                label,
                ha="center",
                va="center",
                fontsize=9,
                color="#555555" if is_pad else "black",
            )
            ax.text(
                c + 0.5,
                rows - 0.8 - r,
                str(ids[r, c]),
                ha="center",
                va="center",
                fontsize=7,
                color="#777777",
            )
    ax.set_xlim(0, cols)
    ax.set_ylim(0, rows)
    ax.set_xticks(np.arange(cols) + 0.5, [str(c) for c in range(cols)], fontsize=8)
    ax.set_yticks(
        np.arange(rows) + 0.5, [f"row {rows - 1 - r}" for r in range(rows)], fontsize=8
    )
    ax.set_xlabel("time step", fontsize=8)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return fig


def gradient_heatmaps(
    gradients: dict[str, np.ndarray],
    labels: Sequence[str],
    rows: Sequence[int],
    pad_row: int = 0,
) -> Figure:
    """One heatmap per framework run: the embedding gradient of the chosen rows.

    A shared, symmetric colour scale makes equal gradients look equal across
    panels; the pad row is outlined.
    """
    rows = list(rows)
    shown = {name: np.asarray(g)[rows] for name, g in gradients.items()}
    limit = max(float(np.abs(g).max()) for g in shown.values()) or 1.0
    dim = next(iter(shown.values())).shape[1]
    fig = Figure(
        figsize=(2.0 + 1.9 * len(shown), 0.6 + 0.26 * len(rows)), layout="constrained"
    )
    axes = fig.subplots(1, len(shown), sharey=True)
    axes = np.atleast_1d(axes)
    image = None
    for ax, (name, grad) in zip(axes, shown.items(), strict=True):
        image = ax.imshow(grad, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
        ax.set_title(name, fontsize=8)
        ax.set_xticks(range(dim), [f"d{j}" for j in range(dim)], fontsize=7)
        ax.tick_params(length=0)
        if pad_row in rows:
            y = rows.index(pad_row)
            ax.add_patch(
                Rectangle(
                    (-0.5, y - 0.5), dim, 1, fill=False, edgecolor="black", lw=1.5
                )
            )
    axes[0].set_yticks(range(len(rows)), [labels[r] for r in rows], fontsize=7)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="gradient")
    return fig
