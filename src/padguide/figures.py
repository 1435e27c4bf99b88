"""Every figure the book shows (matplotlib, numpy in; a Figure out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

try:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
except ModuleNotFoundError as missing:  # the extra names what to install
    raise ImportError(
        'padguide.figures needs matplotlib: pip install "padguide[figures]"'
    ) from missing

__all__ = [
    "batch_figure",
    "frontier_figure",
    "gradient_heatmaps",
    "length_histogram",
    "packed_row_figure",
]

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


def length_histogram(lengths: np.ndarray, title: str = "") -> Figure:
    """How long the sequences are: a histogram on a log scale, median and longest marked."""
    lengths = np.asarray(lengths)
    fig = Figure(figsize=(6.4, 2.6), layout="constrained")
    ax = fig.add_subplot()
    bins = np.unique(np.geomspace(1, lengths.max() + 1, 40).astype(int))
    ax.hist(lengths, bins=bins, color=REAL_COLOR, edgecolor="#2c7bb6")
    ax.set_xscale("log")
    for value, label in ((np.median(lengths), "median"), (lengths.max(), "longest")):
        ax.axvline(value, color="#555555", linestyle="--", linewidth=1)
        ax.annotate(f"{label} {value:.0f}", (value, ax.get_ylim()[1] * 0.92), fontsize=8,
                    xytext=(3, 0), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("tokens per speech (log scale)", fontsize=8)
    ax.set_ylabel("speeches", fontsize=8)
    ax.tick_params(labelsize=8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return fig


def frontier_figure(frontier, scores) -> Figure:
    """Efficiency against randomness: padguide's curve across ``width``, every method as a point.

    The score named ``padguide bucket_batches`` (its defaults: the width its
    overlap target picks) is ringed on the curve.
    """
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    xs = [s.overlap for _, s in frontier]
    ys = [s.efficiency for _, s in frontier]
    ax.plot(
        xs,
        ys,
        "-o",
        color="#2c7bb6",
        markersize=3,
        label="padguide bucket_batches (width)",
    )
    markers = iter("sD^vP*X")
    for s in scores:
        if s.method == "padguide bucket_batches":  # on the curve: ring it
            ax.plot(s.overlap, s.efficiency, "o", color="#2c7bb6", markersize=9,
                    fillstyle="none", markeredgewidth=1.5, linestyle="none",
                    label="padguide bucket_batches, defaults")  # fmt: skip
        else:
            ax.plot(s.overlap, s.efficiency, next(markers), color="#d7191c", markersize=6,
                    label=s.method, linestyle="none")  # fmt: skip
    ax.set_xlabel(
        "batch-mate overlap between epochs (0 = reshuffled, 1 = same batches)",
        fontsize=8,
    )
    ax.set_ylabel("padding efficiency", fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    return fig


def packed_row_figure(packing, row: int = 0, width: int = 48) -> Figure:
    """One packed row: which sequence each slot holds, and its block-diagonal attention mask."""
    segments = packing.segment_ids()[row][:width]
    mask = packing.attention_mask(row)[:width, :width]
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 6])
    # Consecutive sequences get consecutive colours, so neighbours never share one.
    _, first_seen = np.unique(segments, return_index=True)
    order = {seg: rank for rank, seg in enumerate(segments[np.sort(first_seen)])}
    colours = np.array(
        [[order[s] % 10 if s >= 0 else np.nan for s in segments]], dtype=float
    )
    top.imshow(colours, cmap="tab10", aspect="auto", vmin=0, vmax=9)
    top.set_yticks([])
    top.set_xticks([])
    top.set_title(f"row {row}: one colour per packed sequence (first {width} slots)", fontsize=8,
                  loc="left")  # fmt: skip
    bottom.imshow(mask, cmap="Blues", aspect="auto", interpolation="nearest")
    bottom.set_xlabel("key position", fontsize=8)
    bottom.set_ylabel("query position", fontsize=8)
    bottom.tick_params(labelsize=7)
    return fig
