"""Claims about Keras 3's ``Embedding(mask_zero=True)`` on each backend: TensorFlow, JAX, PyTorch.

Each claim names the backends it speaks for; the ledger runs in one process
per backend (``KERAS_BACKEND``), and a claim is not applicable on a backend it
does not name. :func:`on_backend` checks this subject's claims in a process of
another backend, so that a page built on TensorFlow can show what JAX and
PyTorch do (:func:`show_on`).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

from padguide.claims._ledger import (
    ClaimFailed,
    Evidence,
    NotApplicable,
    Outcome,
    Result,
    claim,
    registered,
    run,
    versions,
)
from padguide.keras_backend import BACKENDS, current_backend

__all__ = ["on_backend", "show_on"]

EVERY = BACKENDS
"""TensorFlow, JAX and PyTorch."""


def _run():
    from padguide.experiments.backends import backend_run
    from padguide.keras_backend import get_keras, is_keras3

    if not is_keras3(get_keras()):
        raise NotApplicable(
            "Keras 2 runs on TensorFlow only; these claims are about Keras 3"
        )
    return backend_run()


def _on(backend: str) -> str:
    return f"Keras 3 on {backend}"


@claim(
    "keras.mask-and-pad-output-on-every-backend",
    framework="keras",
    backends=EVERY,
    statement="On each Keras 3 backend (TensorFlow, JAX, PyTorch), Embedding(mask_zero=True) "
    "emits the mask ids != 0 and outputs row 0 as it is at the pad positions.",
)
def mask_and_pad_output_on_every_backend():
    r = _run()
    ids, mask = np.array(r.ids), np.array(r.mask)
    return Evidence(
        bool(np.array_equal(mask, ids != 0)) and r.largest_pad_output_minus_row0 == 0,
        {
            "backend": _on(r.backend),
            "mask": mask.astype(int),
            "largest |output - row 0| at pad positions": r.largest_pad_output_minus_row0,
        },
    )


@claim(
    "keras.gradient-matches-numpy-on-every-backend",
    framework="keras",
    backends=EVERY,
    statement="On each Keras 3 backend, the gradient of Embedding(mask_zero=True) → plain "
    "Dense(1) → weighted sum, made dense, equals the gradient computed in NumPy (the kernel "
    "times each id's summed loss weights): the pad row gets one contribution per pad "
    "position on every backend.",
)
def gradient_matches_numpy_on_every_backend():
    r = _run()
    got, expected = np.array(r.gradient_rows), np.array(r.expected_gradient_rows)
    return Evidence(
        bool(np.allclose(got, expected, atol=1e-5) and np.abs(got[0]).max() > 0),
        {
            "backend": _on(r.backend),
            "pad row's gradient": got[0],
            "NumPy's pad row": expected[0],
            "largest difference": float(np.abs(got - expected).max()),
        },
    )


@claim(
    "keras.gradient-is-indexed-slices-on-tensorflow",
    framework="keras",
    backends=("tensorflow",),
    statement="On Keras 3's TensorFlow backend, the embedding's gradient is a tf.IndexedSlices "
    "(one slice per lookup), not a dense tensor.",
)
def gradient_is_indexed_slices_on_tensorflow():
    r = _run()
    return Evidence(
        r.gradient_is_indexed_slices and not r.gradient_is_dense,
        {"backend": _on(r.backend), "gradient type": r.gradient_type},
    )


@claim(
    "keras.gradient-is-dense-on-jax-and-torch",
    framework="keras",
    backends=("jax", "torch"),
    statement="On Keras 3's JAX and PyTorch backends, the embedding's gradient is a dense array "
    "of the table's shape (a jax.Array; a strided torch.Tensor), not a tf.IndexedSlices.",
)
def gradient_is_dense_on_jax_and_torch():
    r = _run()
    rows = np.array(r.gradient_rows)
    return Evidence(
        r.gradient_is_dense
        and not r.gradient_is_indexed_slices
        and rows.shape == (7, 2),
        {
            "backend": _on(r.backend),
            "gradient type": r.gradient_type,
            "shape": list(rows.shape),
        },
    )


@claim(
    "keras.minus-one-is-last-row-on-every-backend",
    framework="keras",
    backends=EVERY,
    statement="On each Keras 3 backend (TensorFlow, JAX, PyTorch), Embedding looks id -1 up "
    "as the last row, without an error.",
)
def minus_one_is_last_row_on_every_backend():
    r = _run()
    return Evidence(
        r.minus_one_is_last_row,
        {
            "backend": _on(r.backend),
            "id -1 reads the last row": r.minus_one_is_last_row,
        },
    )


@claim(
    "keras.id-past-table-is-nan-on-jax",
    framework="keras",
    backends=("jax",),
    statement="On Keras 3's JAX backend (CPU), an id past the table (id 5 in Embedding(5, 2)) "
    "raises nothing and returns NaN; the last row's id, 4, returns finite values.",
)
def id_past_table_is_nan_on_jax():
    r = _run()
    out = r.past_table_output
    return Evidence(
        out is not None and bool(np.isnan(np.array(out, float)).all()),
        {"backend": _on(r.backend), "id 5": r.past_table, "output": out},
        control={"id 4 finite": r.last_row_finite},
        control_differs=r.last_row_finite,
    )


@claim(
    "keras.id-past-table-raises-on-tensorflow-and-torch",
    framework="keras",
    backends=("tensorflow", "torch"),
    statement="On Keras 3's TensorFlow (CPU) and PyTorch backends, an id past the table (id 5 "
    "in Embedding(5, 2)) raises: InvalidArgumentError on TensorFlow, IndexError on PyTorch.",
)
def id_past_table_raises_on_tensorflow_and_torch():
    r = _run()
    stated = {"tensorflow": "InvalidArgumentError", "torch": "IndexError"}[r.backend]
    return Evidence(
        r.past_table == stated and r.last_row_finite,
        {"backend": _on(r.backend), "id 5 raises": r.past_table},
    )


@claim(
    "keras.hand-set-mask-read-by-loss-on-every-backend",
    framework="keras",
    backends=EVERY,
    statement="On each Keras 3 backend, a mask set by hand on an eager tensor "
    "(logits._keras_mask = mask) is read by a Keras loss, which then averages over the real "
    "positions only.",
)
def hand_set_mask_read_by_loss_on_every_backend():
    r = _run()
    return Evidence(
        r.hand_mask == "set"
        and r.hand_mask_loss is not None
        and bool(np.isclose(r.hand_mask_loss, r.loss_mean_over_real)),
        {
            "backend": _on(r.backend),
            "loss": r.hand_mask_loss,
            "mean over real positions": r.loss_mean_over_real,
        },
        control={"mean over all positions (no mask)": r.loss_mean_over_all},
        control_differs=not np.isclose(r.loss_mean_over_all, r.loss_mean_over_real),
    )


@claim(
    "keras.jax-keeps-traced-masks-apart",
    framework="keras",
    backends=("jax",),
    statement="On Keras 3's JAX backend, inside jax.jit (where Keras compiles its train step) "
    "an array refuses x._keras_mask = mask (AttributeError); Keras keeps the embedding's mask "
    "in a table of its own instead, where its layers still find it. On eager arrays the "
    "attribute works.",
)
def jax_keeps_traced_masks_apart():
    r = _run()
    traced = r.traced or {}
    return Evidence(
        traced.get("hand_mask") == "AttributeError"
        and traced.get("keras_finds_mask") is True
        and traced.get("mask_on_attribute") is False,
        {"backend": _on(r.backend), "under jax.jit": traced},
        control={"eager: x._keras_mask = mask": r.hand_mask},
        control_differs=r.hand_mask == "set",
    )


_LAYERS = {
    "LSTM": "lstm",
    "GlobalAveragePooling1D": "global-average-pooling",
    "MultiHeadAttention": "multi-head-attention",
}

for _layer, _slug in _LAYERS.items():

    @claim(
        f"keras.{_slug}-consumes-mask-on-every-backend",
        framework="keras",
        backends=EVERY,
        statement=f"On each Keras 3 backend (TensorFlow, JAX, PyTorch), {_layer} after "
        "Embedding(mask_zero=True) gives a right-padded input the unpadded result at the real "
        "positions; without mask_zero it does not.",
    )
    def layer_consumes_mask_on_every_backend(layer=_layer):
        r = _run()
        found = r.layers[layer]
        return Evidence(
            found["with mask_zero"] < 1e-5,
            {"backend": _on(r.backend), "max_difference": found["with mask_zero"]},
            control={"without mask_zero, max_difference": found["without mask_zero"]},
            control_differs=found["without mask_zero"] > 1e-5,
        )


# --- the same claims, checked in a process of another backend -----------------------------


def _report() -> None:
    """Print this process's backend run and this subject's results as JSON (see :func:`on_backend`)."""
    from padguide import claims

    mine = [c for c in claims.ledger().values() if c.check.__module__ == __name__]
    report = {
        "run": _run().to_json(),
        "versions": versions(),
        "results": [run(c).to_json() for c in mine],
    }
    print(json.dumps(report))


@functools.cache
def on_backend(backend: str) -> dict[str, Any]:
    """This subject's run and results on ``backend``, from a process of its own.

    Returns ``{"run": BackendRun, "versions": {...}, "results": [Result, ...]}``.
    """
    from padguide.experiments.backends import QUIET, BackendRun

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    env = {**os.environ, **QUIET, "KERAS_BACKEND": backend}
    env.pop("PADGUIDE_KERAS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from padguide.claims.backends import _report; _report()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"the claims on Keras' {backend} backend broke:\n{done.stderr[-3000:]}"
        )
    found = json.loads(done.stdout.splitlines()[-1])
    ledger = registered()
    results = [
        Result(
            ledger[r["id"]],
            Outcome(r["outcome"]),
            r["evidence"],
            r["detail"],
            r["control"],
            r["control_differs"],
        )
        for r in found["results"]
    ]
    return {
        "run": BackendRun(**found["run"]),
        "versions": found["versions"],
        "results": results,
    }


def prefetch(backends: tuple[str, ...] = BACKENDS) -> None:
    """Start :func:`on_backend` for several backends side by side (each is one process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(backends)) as pool:
        list(pool.map(on_backend, backends))


class OnBackend:
    """One result checked on a named backend; its box's anchor names the backend too."""

    def __init__(self, result: Result, backend: str, anchor: bool) -> None:
        self.result, self.backend, self.anchor = result, backend, anchor

    def _repr_html_(self) -> str:
        box = self.result._repr_html_()
        if not self.anchor:
            claim_id = self.result.claim.id
            box = box.replace(
                f'id="claim-{claim_id}"', f'id="claim-{claim_id}-{self.backend}"', 1
            )
        return box.replace(
            "on the installed versions",
            f"on Keras 3 with the {self.backend} backend",
            1,
        )

    def __repr__(self) -> str:
        return f"({self.backend}) {self.result!r}"


class ShownOn(list):
    def _repr_html_(self) -> str:
        return "".join(item._repr_html_() for item in self)

    def __repr__(self) -> str:
        return "\n".join(repr(item) for item in self)


def show_on(backend: str, *claim_ids: str, anchor: bool = False) -> ShownOn:
    """Claims' results checked on ``backend`` (in its own process, unless it is this one).

    Raises :class:`ClaimFailed` unless every one holds there. ``anchor=True``
    gives each box the claim's own anchor (``#claim-<id>``, as the Claims page
    needs); otherwise the anchor names the backend, so that one page can show a
    claim once per backend.
    """
    if backend == current_backend():
        from padguide.claims import check

        results = [check(c) for c in claim_ids]
    else:
        by_id = {r.claim.id: r for r in on_backend(backend)["results"]}
        missing = [c for c in claim_ids if c not in by_id]
        if missing:
            raise KeyError(f"not claims of {__name__}: {missing}")
        results = [by_id[c] for c in claim_ids]
    failing = [r for r in results if not r.holds]
    if failing:
        from padguide.claims import FAILURES_ENV, failure_line

        lines = [f"{failure_line(r)} [Keras backend: {backend}]" for r in failing]
        if os.environ.get(FAILURES_ENV):
            with open(os.environ[FAILURES_ENV], "a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
        raise ClaimFailed(
            f"on Keras 3 with the {backend} backend:\n" + "\n".join(lines)
        )
    return ShownOn(OnBackend(r, backend, anchor) for r in results)


def speaks_for(backend: str) -> list[str]:
    """This subject's claims that speak for ``backend``."""
    return [
        c.id
        for c in registered().values()
        if c.check.__module__ == __name__ and backend in (c.backends or BACKENDS)
    ]


def applies_here(claim_id: str) -> bool:
    """Whether a claim speaks for this process's Keras backend (or for none in particular)."""
    backends = registered()[claim_id].backends
    return backends is None or current_backend() in backends


def show_elsewhere(*claim_ids: str) -> ShownOn:
    """Claims that do not speak for this process's backend, each checked on the first it names.

    The boxes keep the claims' own anchors (``#claim-<id>``): this is how the
    Claims page, built on TensorFlow, shows the claims about JAX and PyTorch.
    """
    shown = ShownOn()
    for claim_id in claim_ids:
        backend = (registered()[claim_id].backends or BACKENDS)[0]
        shown.extend(show_on(backend, claim_id, anchor=True))
    return shown
