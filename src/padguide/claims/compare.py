"""Claims that compare PyTorch and Keras on identical weights."""

from __future__ import annotations

import functools

import numpy as np

from padguide.claims._ledger import Evidence, claim

TOLERANCE = 1e-6


@functools.cache
def _sbs(experiment: str):
    from padguide.experiments.compare import side_by_side

    return side_by_side(experiment)


for _exp in ("classic", "twelfth-night"):

    @claim(
        f"compare.{_exp}-masked-gradients-agree",
        framework="compare",
        statement=f"On the {_exp} batch, PyTorch's padding_idx and Keras' mask_zero with a mask "
        f"consumer give the same dense gradient (to {TOLERANCE}).",
    )
    def masked_gradients_agree(exp=_exp):
        s = _sbs(exp)
        diff = s.max_gradient_difference(s.keras_masked)
        plain = s.max_gradient_difference(s.keras_dense)
        return Evidence(
            diff <= TOLERANCE,
            {"max_abs_difference": diff},
            control={"plain Dense (no mask consumer), max_abs_difference": plain},
            control_differs=plain > TOLERANCE,
        )


@claim(
    "compare.plain-dense-differs-only-in-pad-row",
    framework="compare",
    statement="Without a mask consumer, Keras' gradient differs from PyTorch's in row 0 only.",
)
def plain_dense_differs_only_in_pad_row():
    s = _sbs("twelfth-night")
    rest = s.max_gradient_difference(s.keras_dense, slice(1, None))
    pad = float(np.abs(s.keras_dense.pad_row_gradient).max())
    masked = float(np.abs(s.keras_masked.pad_row_gradient).max())
    return Evidence(
        rest <= TOLERANCE and pad > 0,
        {"max_difference_other_rows": rest, "keras_pad_row_gradient_max": pad},
        control={"with a mask consumer, keras_pad_row_gradient_max": masked},
        control_differs=masked == 0,
    )


@claim(
    "compare.outputs-agree-at-real-positions",
    framework="compare",
    statement="Both frameworks compute the same outputs at real positions from the same weights.",
)
def outputs_agree_at_real_positions():
    s = _sbs("twelfth-night")
    real = s.torch.ids != 0
    diff = float(np.abs(s.torch.outputs - s.keras_masked.outputs)[real].max())
    return Evidence(diff <= TOLERANCE, {"max_abs_difference": diff})


def _losses(all_padding: bool) -> dict[str, float]:
    import keras
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 4, 5)).astype(np.float32)
    targets = np.array([[3, 1, 0, 0], [2, 4, 4, 0]])
    if all_padding:
        targets = np.zeros_like(targets)
    flat_logits, flat_targets = (
        torch.as_tensor(logits).flatten(0, 1),
        torch.as_tensor(targets).flatten(),
    )
    ignore_class = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=0
    )
    return {
        "torch_ignore_index": float(
            F.cross_entropy(flat_logits, flat_targets, ignore_index=0)
        ),
        "keras_ignore_class": float(ignore_class(targets, logits)),
    }


@claim(
    "compare.ignore-class-equals-ignore-index",
    framework="compare",
    statement="Keras' ignore_class=0 and PyTorch's ignore_index=0 give the same cross-entropy "
    "on the same logits.",
)
def ignore_class_equals_ignore_index():
    losses = _losses(all_padding=False)
    return Evidence(
        bool(
            np.isclose(
                losses["torch_ignore_index"], losses["keras_ignore_class"], rtol=1e-6
            )
        ),
        losses,
    )


@claim(
    "compare.all-padding-loss-nan-vs-zero",
    framework="compare",
    statement="On a batch of padding only, PyTorch's ignore_index mean is NaN (0 / 0) while "
    "Keras' ignore_class mean is 0.",
)
def all_padding_loss_nan_vs_zero():
    losses = _losses(all_padding=True)
    return Evidence(
        bool(
            np.isnan(losses["torch_ignore_index"]) and losses["keras_ignore_class"] == 0
        ),
        losses,
    )


for _pad in (0, None):

    @claim(
        f"compare.porting-keeps-pad-semantics-{'padding-idx' if _pad == 0 else 'no-pad'}",
        framework="compare",
        statement="torch_embedding_to_keras and back give the same outputs and gradients "
        + ("for nn.Embedding(padding_idx=0)." if _pad == 0 else "without padding_idx."),
    )
    def porting_keeps_pad_semantics(pad=_pad):
        from padguide.experiments.compare import porting_check

        r = porting_check(padding_idx=pad)
        diffs = [v for k, v in r.items() if k.endswith("difference")]
        return Evidence(max(diffs) <= TOLERANCE and r["padding_idx_back"] == pad, r)
