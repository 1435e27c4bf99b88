"""PyTorch and Keras side by side on identical weights.

The one module that imports both frameworks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padguide import keras as pk
from padguide import torch as pt
from padguide.results import EmbeddingRun

__all__ = ["SideBySide", "side_by_side"]


@dataclass(frozen=True)
class SideBySide:
    torch: EmbeddingRun
    keras_masked: EmbeddingRun
    """Keras with a ``MaskedDense`` after the embedding (the mask is consumed)."""
    keras_dense: EmbeddingRun
    """Keras with a plain ``Dense`` (the mask is passed along, not applied)."""

    @property
    def runs(self) -> dict[str, EmbeddingRun]:
        return {
            "PyTorch padding_idx=0": self.torch,
            "Keras mask_zero + MaskedDense": self.keras_masked,
            "Keras mask_zero + Dense": self.keras_dense,
        }

    def max_gradient_difference(self, other: EmbeddingRun, rows: slice = slice(None)) -> float:
        return float(np.abs(self.torch.gradient[rows] - other.gradient[rows]).max())

    def gradient_table(self):
        """Dense gradient by row (first dimension) in every run, rows labelled by token."""
        import pandas as pd

        from padguide.results import DECIMALS

        columns = {name: run.gradient[:, 0] for name, run in self.runs.items()}
        table = pd.DataFrame(columns, index=self.torch.labels).round(DECIMALS) + 0.0
        table["count"] = self.torch.counts
        table.index.name = "row"
        return table


def _same_start(run: EmbeddingRun, consumer: str) -> EmbeddingRun:
    return pk.embedding_run(
        run.ids,
        run.tokens,
        dim=run.weight.shape[1],
        consumer=consumer,
        weight=run.weight,
        dense_kernel=run.notes["linear_weight"].T,
        dense_bias=run.notes["linear_bias"],
        position_weights=run.position_weights,
    )


def side_by_side(experiment: str = "classic", seed: int = 0) -> SideBySide:
    """Run PyTorch, then Keras twice, all from PyTorch's initial weights.

    ``experiment`` is ``"classic"`` (ids ``[[1,1,2,6,0],[1,5,5,0,0]]``) or
    ``"twelfth-night"`` (the running example).
    """
    runs = {"classic": pt.seed_experiment, "twelfth-night": pt.twelfth_night_experiment}
    if experiment not in runs:
        raise ValueError(f"experiment must be one of {sorted(runs)}, got {experiment!r}")
    torch_run = runs[experiment](seed=seed)
    return SideBySide(torch_run, _same_start(torch_run, "masked"), _same_start(torch_run, "dense"))
