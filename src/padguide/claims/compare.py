"""Claims that compare PyTorch and Keras on identical weights."""

from __future__ import annotations

import functools

import numpy as np

from padguide.claims._ledger import Evidence, claim

TOLERANCE = 1e-6


@functools.cache
def _sbs(experiment: str):
    from padguide.compare import side_by_side

    return side_by_side(experiment)


for _exp in ("classic", "twelfth-night"):

    @claim(
        f"compare.{_exp}-masked-gradients-agree",
        framework="compare",
        statement=f"On the {_exp} batch, PyTorch's padding_idx and Keras' mask_zero with a mask "
        f"consumer give the same dense gradient (to {TOLERANCE}).",
    )
    def _(exp=_exp):
        s = _sbs(exp)
        diff = s.max_gradient_difference(s.keras_masked)
        return Evidence(diff <= TOLERANCE, {"max_abs_difference": diff})


@claim(
    "compare.plain-dense-differs-only-in-pad-row",
    framework="compare",
    statement="Without a mask consumer, Keras' gradient differs from PyTorch's in row 0 only.",
)
def _():
    s = _sbs("twelfth-night")
    rest = s.max_gradient_difference(s.keras_dense, slice(1, None))
    pad = float(np.abs(s.keras_dense.pad_row_gradient).max())
    return Evidence(
        rest <= TOLERANCE and pad > 0,
        {"max_difference_other_rows": rest, "keras_pad_row_gradient_max": pad},
    )


@claim(
    "compare.outputs-agree-at-real-positions",
    framework="compare",
    statement="Both frameworks compute the same outputs at real positions from the same weights.",
)
def _():
    s = _sbs("twelfth-night")
    real = s.torch.ids != 0
    diff = float(np.abs(s.torch.outputs - s.keras_masked.outputs)[real].max())
    return Evidence(diff <= TOLERANCE, {"max_abs_difference": diff})
