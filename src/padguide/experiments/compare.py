"""PyTorch and Keras side by side on identical weights, and the porting round trip.

The claims about them are in ``padguide.claims.compare``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padguide.experiments import keras as pk
from padguide.experiments import torch as pt
from padguide.results import EmbeddingRun, TextTable

__all__ = ["SideBySide", "porting_check", "side_by_side", "summary_table"]


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

    def max_gradient_difference(
        self, other: EmbeddingRun, rows: slice = slice(None)
    ) -> float:
        return float(np.abs(self.torch.gradient[rows] - other.gradient[rows]).max())

    def gradient_table(self):
        """Dense gradient by row (first dimension) in every run, rows labelled by token."""
        import pandas as pd

        from padguide.results import DECIMALS

        columns = {name: run.gradient[:, 0] for name, run in self.runs.items()}
        table = pd.DataFrame(columns, index=self.torch.labels).round(DECIMALS) + 0.0
        table["count"] = self.torch.counts
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
        raise ValueError(
            f"experiment must be one of {sorted(runs)}, got {experiment!r}"
        )
    torch_run = runs[experiment](seed=seed)
    return SideBySide(
        torch_run, _same_start(torch_run, "masked"), _same_start(torch_run, "dense")
    )


def summary_table(seed: int = 0):
    """The one-screen answer: what each setup does to the pad row, computed now.

    Columns are PyTorch ``padding_idx=0``, Keras ``mask_zero=True`` followed by a
    plain ``Dense``, and the same followed by a layer that consumes the mask.
    """
    import pandas as pd

    torch_run = pt.seed_experiment(seed)
    keras_runs = {c: pk.seed_experiment(c, seed) for c in pk.CONSUMERS}
    # The optimizer rows: one model in both frameworks (Embedding(7, 3) → one-unit
    # dense layer → sum of squares, lr 0.1), each from its own initial pad row.
    sgd_torch = pt.pad_row_drift("SGD", seed=seed)
    adamw_torch = pt.pad_row_drift("AdamW", seed=seed)

    def output(run: EmbeddingRun) -> str:
        row = run.weight[run.pad_id]
        if not np.abs(row).any():
            return "row 0, all zeros"
        return f"row 0 as it is (max |w| = {np.abs(row).max():.4f})"

    def gradient(run: EmbeddingRun) -> str:
        g = np.abs(run.pad_row_gradient).max()
        n = int(run.counts[run.pad_id])
        return "zero" if g == 0 else f"non-zero ({n} pad positions, max |g| = {g:.4f})"

    def moved(distance: float) -> str:
        return "stays" if distance == 0 else f"moves by {distance:.4f}"

    columns = {
        "PyTorch Embedding(padding_idx=0)": [
            output(torch_run),
            gradient(torch_run),
            moved(sgd_torch),
            moved(adamw_torch),
            f"{torch_run.notes['gradient_type']} ({pt.sparse_run(seed).layout} with sparse=True)",
        ],
    }
    for consumer, title in (
        ("dense", "Keras mask_zero=True → Dense"),
        ("masked", "Keras mask_zero=True → mask consumer"),
    ):
        run = keras_runs[consumer]
        columns[title] = [
            output(run),
            gradient(run),
            moved(pk.pad_row_drift(consumer, "SGD", seed=seed)),
            moved(pk.pad_row_drift(consumer, "AdamW", seed=seed)),
            f"tf.{run.notes['gradient_type']}",
        ]
    index = [
        "output at pad positions",
        "pad row's gradient",
        "pad row, 5 SGD steps",
        "pad row, 5 AdamW steps (weight decay 0.1)",
        "gradient object",
    ]
    return TextTable(pd.DataFrame(columns, index=index), uuid="summary")


def porting_check(padding_idx: int | None = 0, seed: int = 0) -> dict[str, float]:
    """Port an ``nn.Embedding`` to Keras and back; largest output and gradient differences."""
    import tensorflow as tf
    import torch

    from padguide.porting import keras_embedding_to_torch, torch_embedding_to_keras

    torch.manual_seed(seed)
    module = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    layer = torch_embedding_to_keras(module)
    back = keras_embedding_to_torch(layer)
    ids = np.array([[1, 2, 2, 0], [5, 2, 3, 0]])
    weights = np.random.default_rng(seed).standard_normal((2, 4, 3)).astype(np.float32)
    result = {"keras_layer": type(layer).__name__, "padding_idx_back": back.padding_idx}
    with tf.GradientTape() as tape:
        out_keras = layer(ids)
        loss = tf.reduce_sum(out_keras * weights)
    grad_keras = tf.convert_to_tensor(tape.gradient(loss, layer.embeddings)).numpy()
    for name, torch_side in (("torch", module), ("torch_again", back)):
        out_torch = torch_side(torch.as_tensor(ids))
        (out_torch * torch.as_tensor(weights)).sum().backward()
        result[f"{name}_output_difference"] = float(
            np.abs(out_torch.detach().numpy() - np.asarray(out_keras)).max()
        )
        result[f"{name}_gradient_difference"] = float(
            np.abs(torch_side.weight.grad.numpy() - grad_keras).max()
        )
    return result
