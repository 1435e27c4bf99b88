"""Keras 3's ``Embedding(mask_zero=True)`` on each backend: TensorFlow, JAX and PyTorch.

Keras 3 picks its backend once per process (``$KERAS_BACKEND``), so
:func:`backend_run` runs on this process's backend and :func:`runs` starts one
process per backend (``python -m padguide.experiments.backends --json``).
Nothing here uses an API of one backend except to take a gradient:
``tf.GradientTape`` on TensorFlow, ``jax.grad`` of ``stateless_call`` on JAX,
``.backward()`` on PyTorch. Seeded weights are set from NumPy, so every backend
starts from the same numbers. The claims are in :mod:`padguide.claims.backends`.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from padguide.example import CLASSIC_IDS
from padguide.keras_backend import BACKENDS, current_backend, get_keras, is_keras3

__all__ = [
    "BACKENDS",
    "LAYERS",
    "NAMES",
    "BackendRun",
    "backend_run",
    "layers_table",
    "runs",
    "summary_table",
]

NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
"""How the book names each backend (the tabs' titles)."""

LAYERS = ("LSTM", "GlobalAveragePooling1D", "MultiHeadAttention")
"""The mask consumers checked on every backend."""

QUIET = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "JAX_PLATFORMS": "cpu",
    "PYTHONHASHSEED": "0",
}


@dataclass(frozen=True)
class BackendRun:
    """What Keras 3 does with padding on one backend (plain values: JSON-ready)."""

    backend: str
    keras: str
    framework: str
    """The backend framework and its version, e.g. ``jax 0.10.2``."""
    ids: list
    mask: list
    """``Embedding(mask_zero=True).compute_mask(ids)``."""
    row0: list
    largest_pad_output_minus_row0: float
    """Largest ``|output - row 0|`` over the pad positions (0: they output row 0)."""
    gradient_type: str
    """The embedding gradient's type, as the backend names it."""
    gradient_is_indexed_slices: bool
    gradient_is_dense: bool
    """A dense array of the table's shape (``jax.Array``, strided ``torch.Tensor``)."""
    gradient_rows: list
    """Each table row's gradient, densified (``Embedding(7, 2) → Dense(1) → Σ w·y``)."""
    expected_gradient_rows: list
    """The same gradient computed in NumPy: kernel × sum of the loss weights at the row's ids."""
    minus_one_is_last_row: bool
    past_table: str
    """What ``Embedding(5, 2)`` does with id 5: the exception's name, or ``"returned"``."""
    past_table_output: list | None
    """What it returned for id 5, if it returned."""
    last_row_finite: bool
    """Id 4 (the last row, the control) gives finite values."""
    hand_mask: str
    """What ``x._keras_mask = mask`` does on a backend tensor: ``"set"`` or the exception."""
    hand_mask_loss: float | None
    """The loss of logits whose mask was set by hand (``None`` if it could not be set)."""
    loss_mean_over_real: float
    loss_mean_over_all: float
    keras_keeps_mask: bool
    """Keras' own mask lookup finds the mask ``Embedding`` attached to its output."""
    mask_on_attribute: bool
    """That mask sits in the tensor's ``_keras_mask`` attribute (not in Keras' own table)."""
    traced: dict | None
    """The same inside a compiled function (``tf.function``, ``jax.jit``): whether
    ``x._keras_mask = mask`` works there, whether Keras' lookup finds the
    embedding's mask, and whether it sits on the attribute. ``None`` on PyTorch,
    where Keras runs eagerly by default."""
    layers: dict
    """Per layer: largest padded − unpadded difference with ``mask_zero`` and without."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _keras():
    K = get_keras()
    if not is_keras3(K):
        raise RuntimeError("the backend experiments need Keras 3")
    return K


def _framework(backend: str) -> str:
    from importlib.metadata import version

    package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend]
    try:
        return f"{package} {version(package)}"
    except Exception:  # noqa: BLE001 -- tensorflow-cpu names its distribution differently
        return f"{package} {version(package + '-cpu')}"


def _gradient(K, emb, dense, ids: np.ndarray, weights: np.ndarray):
    """The gradient of ``Σ w · Dense(Embedding(ids))`` with respect to the table, as given."""
    backend = K.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.squeeze(dense(emb(ids)), -1) * weights)
        return tape.gradient(loss, emb.embeddings.value)
    if backend == "jax":
        import jax

        def loss(table):
            out, _ = emb.stateless_call([table], [], ids)
            return (K.ops.squeeze(dense(out), -1) * weights).sum()

        return jax.grad(loss)(emb.embeddings.value)
    if backend == "torch":
        table = emb.embeddings.value
        table.grad = None
        loss = (
            K.ops.squeeze(dense(emb(ids)), -1) * K.ops.convert_to_tensor(weights)
        ).sum()
        loss.backward()
        return table.grad
    raise ValueError(f"no gradient recipe for the Keras backend {backend!r}")


def _describe_gradient(grad) -> tuple[str, bool, bool, np.ndarray]:
    """(type name, is a tf.IndexedSlices, is dense, dense rows)."""
    kind = type(grad)
    name = f"{kind.__module__.split('.')[0]}.{kind.__name__}"
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        if isinstance(grad, tf.IndexedSlices):
            return "tf.IndexedSlices", True, False, tf.convert_to_tensor(grad).numpy()
        if isinstance(grad, tf.Tensor):
            return "tf.Tensor", False, True, grad.numpy()
    if "jax" in sys.modules:
        import jax

        if isinstance(grad, jax.Array):
            return "jax.Array", False, True, np.asarray(grad)
    if "torch" in sys.modules:
        import torch

        if isinstance(grad, torch.Tensor):
            dense = grad.layout == torch.strided
            rows = grad.to_dense() if not dense else grad
            return f"torch.Tensor ({grad.layout})", False, dense, rows.detach().numpy()
    return name, False, False, np.asarray(grad)


def _lookup(K, emb, ids) -> tuple[str, np.ndarray | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "returned", K.ops.convert_to_numpy(emb(np.array(ids)))
    except Exception as err:  # noqa: BLE001 -- which exception is the finding
        return type(err).__name__, None


def _traced_masks(K, emb, ids: np.ndarray) -> dict | None:
    """Masks inside the backend's compiled function, where tensors are symbolic."""
    from keras.src.backend import get_keras_mask

    backend = K.backend.backend()
    found: dict[str, Any] = {}

    def step(x):
        out = emb(x)
        found["keras_finds_mask"] = get_keras_mask(out) is not None
        found["mask_on_attribute"] = getattr(out, "_keras_mask", None) is not None
        try:
            out._keras_mask = K.ops.not_equal(x, 0)
            found["hand_mask"] = "set"
        except AttributeError as err:
            found["hand_mask"] = type(err).__name__
        return out

    if backend == "tensorflow":
        import tensorflow as tf

        tf.function(step)(ids)
    elif backend == "jax":
        import jax

        jax.jit(step)(ids)
    else:
        return None
    return found


def _layers(K, seed: int) -> dict[str, dict[str, float]]:
    """Each layer of :data:`LAYERS` on a right-padded batch and on the unpadded sequence."""
    found = {}
    real = np.array([[3, 1, 4, 6]])
    padded = np.array([[3, 1, 4, 6, 0, 0]])
    for layer in LAYERS:
        found[layer] = {}
        for mask_zero in (True, False):
            K.utils.set_random_seed(seed)
            emb = K.layers.Embedding(8, 4, mask_zero=mask_zero)
            emb.build((None, None))
            table = (
                np.random.default_rng(seed).standard_normal((8, 4)).astype(np.float32)
            )
            table[0] = 5.0  # a large pad row shows any leak of padding
            emb.embeddings.assign(table)
            lay = {
                "LSTM": lambda: K.layers.LSTM(3),
                "GlobalAveragePooling1D": K.layers.GlobalAveragePooling1D,
                "MultiHeadAttention": lambda: K.layers.MultiHeadAttention(
                    num_heads=2, key_dim=2
                ),
            }[layer]()

            def apply(x, lay=lay):
                return (
                    lay(x, x)
                    if isinstance(lay, K.layers.MultiHeadAttention)
                    else lay(x)
                )

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                unpadded = K.ops.convert_to_numpy(apply(emb(real)))
                out = K.ops.convert_to_numpy(apply(emb(padded)))
            if out.ndim == 3:
                out = out[:, : real.shape[1]]
            key = "with mask_zero" if mask_zero else "without mask_zero"
            found[layer][key] = float(np.abs(out - unpadded).max())
    return found


@functools.cache
def backend_run(seed: int = 0) -> BackendRun:
    """The experiments on this process's Keras backend (cached: one run per process).

    Warnings are silenced inside: a page shows findings, not a backend's notices.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _backend_run(seed)


def _backend_run(seed: int) -> BackendRun:
    K = _keras()
    backend = K.backend.backend()
    rng = np.random.default_rng(seed)
    ids = np.asarray(CLASSIC_IDS, np.int32)
    table = rng.standard_normal((7, 2)).astype(np.float32)
    kernel = rng.standard_normal((2, 1)).astype(np.float32)
    weights = rng.standard_normal(ids.shape).astype(np.float32)

    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(7, 2, mask_zero=True)
    dense = K.layers.Dense(1)
    emb.build((None, None))
    dense.build((None, None, 2))
    emb.embeddings.assign(table)
    dense.kernel.assign(kernel)

    mask = K.ops.convert_to_numpy(emb.compute_mask(ids))
    out = K.ops.convert_to_numpy(emb(ids))
    pad_gap = float(np.abs(out[ids == 0] - table[0]).max())

    grad = _gradient(K, emb, dense, ids, weights)
    gradient_type, is_slices, is_dense, rows = _describe_gradient(grad)
    expected = np.stack([weights[ids == r].sum() * kernel[:, 0] for r in range(7)])

    small = K.layers.Embedding(5, 2)
    small.build((None,))
    small_table = np.asarray(small.embeddings.numpy())
    _, minus_one = _lookup(K, small, [-1])
    past, past_out = _lookup(K, small, [5])
    _, last = _lookup(K, small, [4])

    # Masks by hand: what a masking layer attaches, set on a backend tensor.
    targets = np.array([[2, 1, 3, 0, 0], [1, 1, 0, 0, 0]])
    logits_np = rng.standard_normal((2, 5, 4)).astype(np.float32)
    real = targets != 0
    per_token = K.ops.convert_to_numpy(
        K.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(
            targets, logits_np
        )
    )
    logits = K.ops.convert_to_tensor(logits_np)
    try:
        logits._keras_mask = K.ops.convert_to_tensor(real)
        hand, hand_loss = (
            "set",
            float(
                K.ops.convert_to_numpy(
                    K.losses.SparseCategoricalCrossentropy(from_logits=True)(
                        targets, logits
                    )
                )
            ),
        )
    except AttributeError as err:
        hand, hand_loss = type(err).__name__, None

    from keras.src.backend import get_keras_mask  # Keras' own lookup (private)

    embedded = emb(ids)
    found = get_keras_mask(embedded)
    on_attribute = getattr(embedded, "_keras_mask", None) is not None
    traced = _traced_masks(K, emb, ids)

    return BackendRun(
        backend=backend,
        keras=K.__version__,
        framework=_framework(backend),
        ids=ids.tolist(),
        mask=mask.tolist(),
        row0=table[0].tolist(),
        largest_pad_output_minus_row0=pad_gap,
        gradient_type=gradient_type,
        gradient_is_indexed_slices=is_slices,
        gradient_is_dense=is_dense,
        gradient_rows=np.round(rows, 6).tolist(),
        expected_gradient_rows=np.round(expected, 6).tolist(),
        minus_one_is_last_row=minus_one is not None
        and bool(np.array_equal(minus_one[0], small_table[-1])),
        past_table=past,
        past_table_output=None if past_out is None else past_out[0].tolist(),
        last_row_finite=last is not None and bool(np.isfinite(last).all()),
        hand_mask=hand,
        hand_mask_loss=hand_loss,
        loss_mean_over_real=float(per_token[real].mean()),
        loss_mean_over_all=float(per_token.mean()),
        keras_keeps_mask=found is not None
        and bool(np.array_equal(K.ops.convert_to_numpy(found), mask)),
        mask_on_attribute=on_attribute,
        traced=traced,
        layers=_layers(K, seed),
    )


def _on(backend: str) -> dict[str, Any]:
    env = {**os.environ, **QUIET, "KERAS_BACKEND": backend}
    env.pop("PADGUIDE_KERAS", None)
    done = subprocess.run(
        [sys.executable, "-m", "padguide.experiments.backends", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(
            f"the experiments on Keras' {backend} backend failed:\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout)


@functools.cache
def runs(backends: tuple[str, ...] = BACKENDS) -> dict[str, BackendRun]:
    """:func:`backend_run` on each backend, one process each (run side by side)."""
    with ThreadPoolExecutor(len(backends)) as pool:
        found = dict(zip(backends, pool.map(_on, backends), strict=True))
    return {b: BackendRun(**found[b]) for b in backends}


def _value(v: Any) -> str:
    return json.dumps(v) if isinstance(v, list) else str(v)


def summary_table(run: BackendRun):
    """One backend's findings, one row each, as a page shows them."""
    import pandas as pd

    pad_row = run.gradient_rows[0]
    rows = {
        "mask of ids [[1, 1, 2, 6, 0], [1, 5, 5, 0, 0]]": _value(
            [[int(m) for m in row] for row in run.mask]
        ),
        "pad positions output row 0": run.largest_pad_output_minus_row0 == 0,
        "embedding gradient's type": run.gradient_type,
        "pad row's gradient (plain Dense)": _value([round(g, 4) for g in pad_row]),
        "gradient equals NumPy's": bool(
            np.allclose(run.gradient_rows, run.expected_gradient_rows, atol=1e-5)
        ),
        "id -1 reads the last row": run.minus_one_is_last_row,
        "id 5 in Embedding(5, 2)": run.past_table
        if run.past_table_output is None
        else f"returns {_value(run.past_table_output)}",
        "x._keras_mask = mask (eager)": run.hand_mask,
        "x._keras_mask = mask (compiled)": "– (eager)"
        if run.traced is None
        else run.traced["hand_mask"],
        "where Keras keeps a mask (compiled)": "– (eager)"
        if run.traced is None
        else (
            "on the tensor" if run.traced["mask_on_attribute"] else "in its own table"
        ),
    }
    return pd.DataFrame({f"{NAMES[run.backend]} ({run.framework})": rows})


def layers_table(run: BackendRun):
    """Largest padded − unpadded difference per layer, with and without ``mask_zero``."""
    import pandas as pd

    table = pd.DataFrame(run.layers).T
    return table.map(lambda v: f"{v:.1e}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m padguide.experiments.backends", description=__doc__
    )
    parser.add_argument("--json", action="store_true", help="print the run as JSON")
    args = parser.parse_args(argv)
    run = backend_run()
    if args.json:
        print(json.dumps(run.to_json()))
    else:
        print(f"Keras {run.keras} on {current_backend()}")
        print(summary_table(run).to_string())
        print(layers_table(run).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
