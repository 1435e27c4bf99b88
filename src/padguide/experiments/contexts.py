"""Every recipe in every context a reader puts it in, compared with the eager NumPy reference.

Readers paste the recipes into compiled steps, Keras models whose batch and
time are unknown, mixed-precision runs and every Keras backend. This module
runs each recipe there and compares what it returns with :mod:`padguide.numpy`
(or, for a framework-only recipe, a few lines of NumPy), on the same inputs.

- :func:`torch_matrix` -- PyTorch: eager (tensors; lists and NumPy arrays),
  ``torch.compile(fullgraph=True)`` with boolean and 0/1 integer masks, static
  and ``dynamic=True``, ``autocast(bfloat16)`` and float16 inputs.
- :func:`keras_matrix` -- Keras, on this process's backend: eager (with bad
  values that must raise), a functional model on ``keras.Input((None,))`` with
  ``Embedding(mask_zero=True)`` trained with ``fit`` on a ``padded_batch``
  dataset whose size is not a multiple of the batch and asked to ``predict`` a
  new length, the same with ``jit_compile=True``, under ``mixed_float16`` and
  ``mixed_bfloat16``, ``masked_cross_entropy`` as ``compile(loss=...)``, and
  saving and loading ``MaskedDense`` and ``PaddingIdxEmbedding``.
- :func:`matrix` -- both, the Keras backends one subprocess each (the backend
  is fixed per process): ``python -m padguide.experiments.contexts --backend jax``
  prints one backend's cells as JSON.

A cell is ``"pass"``, ``"n/a"`` (the context does not apply: ``densify`` is about
a TensorFlow type) or ``"fail: <reason>"``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import padguide.numpy as pn

__all__ = [
    "BUILD_SKIPS",
    "KERAS_CONTEXTS",
    "KERAS_RECIPES",
    "TORCH_CONTEXTS",
    "TORCH_RECIPES",
    "failures",
    "keras_matrix",
    "matrix",
    "matrix_table",
    "torch_matrix",
]

SHARED = (
    "lengths_to_mask", "mask_to_lengths", "masked_sum", "masked_mean", "masked_max",
    "masked_softmax", "to_left_padding", "to_right_padding", "masked_cross_entropy",
)  # fmt: skip
TORCH_RECIPES = (*SHARED, "mask_from_ids", "key_padding_mask", "sdpa_mask")
KERAS_RECIPES = (
    *SHARED, "attention_mask", "MaskedDense", "PaddingIdxEmbedding", "densify",
)  # fmt: skip
TORCH_CONTEXTS = (
    "eager",
    "lists and NumPy",
    "compiled, bool mask",
    "compiled, 0/1 mask",
    "compiled dynamic, bool mask",
    "compiled dynamic, 0/1 mask",
    "autocast(bfloat16)",
    "float16 inputs",
)
KERAS_CONTEXTS = (
    "eager",
    "fit on Input((None,))",
    "jit_compile=True",
    "mixed_float16",
    "mixed_bfloat16",
    "compile(loss=...)",
    "save and load",
)
PASS, NA, SKIPPED = "pass", "n/a", "not run"


def _fail(error: BaseException | str) -> str:
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:200] if str(error).strip() else ''}"
    return f"fail: {error}"


def _close(got, want, tol: float) -> str | None:
    """None when ``got`` equals ``want`` (shape, and values within ``tol``), else why not."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape}, expected {want.shape}"
    if np.bool_ in (want.dtype, got.dtype):
        return None if (got.astype(bool) == want).all() else "boolean values differ"
    got, want = got.astype(np.float64), want.astype(np.float64)
    if not np.allclose(got, want, rtol=tol, atol=tol, equal_nan=False):
        return f"max difference {np.nanmax(np.abs(got - want)):.3g} > {tol}"
    return None


# --- the case and its NumPy reference ---------------------------------------------------------


def _case(seed: int = 0, batch: int = 3, time: int = 5, features: int = 4) -> dict:
    """Right-padded inputs with a full row, a partial row and (batch >= 3) an empty row."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, time + 1, size=batch)
    lengths[0] = time
    if batch >= 3:
        lengths[-1] = 0
    mask = np.arange(time)[None, :] < lengths[:, None]
    x = rng.standard_normal((batch, time, features)).astype(np.float32)
    targets = np.where(mask, rng.integers(0, features, size=mask.shape), 0)
    ids = np.where(mask, rng.integers(1, 9, size=mask.shape), 0)
    return {"x": x, "mask": mask, "lengths": lengths, "targets": targets, "ids": ids}


def _attention_reference(mask: np.ndarray, causal: bool) -> np.ndarray:
    """(batch, time, time): query i attends key j; a query with no key attends all."""
    time = mask.shape[1]
    allowed = np.ones((time, time), bool)
    attend = mask[:, None, :] & (np.tril(allowed) if causal else allowed)
    return attend | ~attend.any(-1, keepdims=True)


def _reference(case: dict, x: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every recipe's expected result, computed eagerly in NumPy."""
    x = case["x"] if x is None else x
    mask, lengths = case["mask"], case["lengths"]
    left = pn.to_left_padding(x, lengths)
    return {
        "lengths_to_mask": pn.lengths_to_mask(lengths, max_len=mask.shape[1]),
        "mask_to_lengths": pn.mask_to_lengths(mask),
        "masked_sum": pn.masked_sum(x, mask),
        "masked_mean": pn.masked_mean(x, mask),
        "masked_max": pn.masked_max(x, mask),
        "masked_softmax": pn.masked_softmax(x[..., 0], mask),
        "to_left_padding": left,
        "to_right_padding": pn.to_right_padding(left, lengths),
        "masked_cross_entropy": np.asarray(
            pn.masked_cross_entropy(x, case["targets"], mask)
        ),
        "mask_from_ids": case["ids"] != 0,
        "key_padding_mask": ~mask,
        "sdpa_mask": _attention_reference(mask, causal=True)[:, None],
        "attention_mask": _attention_reference(mask, causal=False),
    }


# --- PyTorch ------------------------------------------------------------------------------------


def _torch_calls() -> dict[str, Callable]:
    """Each PyTorch recipe as a function of (x, mask, lengths, targets, ids, left)."""
    import padguide.torch as pt

    return {
        "lengths_to_mask": lambda x, m, n, t, i, left: pt.lengths_to_mask(
            n, max_len=x.shape[1]
        ),
        "mask_to_lengths": lambda x, m, n, t, i, left: pt.mask_to_lengths(m),
        "masked_sum": lambda x, m, n, t, i, left: pt.masked_sum(x, m),
        "masked_mean": lambda x, m, n, t, i, left: pt.masked_mean(x, m),
        "masked_max": lambda x, m, n, t, i, left: pt.masked_max(x, m),
        "masked_softmax": lambda x, m, n, t, i, left: pt.masked_softmax(x[..., 0], m),
        "to_left_padding": lambda x, m, n, t, i, left: pt.to_left_padding(x, n),
        "to_right_padding": lambda x, m, n, t, i, left: pt.to_right_padding(left, n),
        "masked_cross_entropy": lambda x, m, n, t, i, left: pt.masked_cross_entropy(
            x, t, m
        ),
        "mask_from_ids": lambda x, m, n, t, i, left: pt.mask_from_ids(i),
        "key_padding_mask": lambda x, m, n, t, i, left: pt.key_padding_mask(m),
        "sdpa_mask": lambda x, m, n, t, i, left: pt.sdpa_mask(m, causal=True),
    }


def _torch_args(case: dict, *, integer_mask=False, dtype=None, as_numpy=False):
    import torch

    x = case["x"]
    left = pn.to_left_padding(x, case["lengths"])
    mask = case["mask"].astype(np.int64) if integer_mask else case["mask"]
    args = [x, mask, case["lengths"], case["targets"], case["ids"], left]
    if as_numpy:
        return args
    args = [torch.as_tensor(a) for a in args]
    if dtype is not None:
        args[0], args[5] = args[0].to(dtype), args[5].to(dtype)
    return args


def _torch_bad_values_raise() -> str | None:
    """Eager tensors with impossible values raise a ValueError/TypeError naming the argument."""
    import torch

    import padguide.torch as pt

    x, two = torch.zeros(2, 3, 4), torch.tensor([[1, 2, 0], [1, 0, 0]])
    cases = [
        (lambda: pt.lengths_to_mask(torch.tensor([5, 1]), max_len=3), "lengths"),
        (lambda: pt.masked_mean(x, two), "mask"),
        (lambda: pt.masked_softmax(x[..., 0], -two), "mask"),
        (lambda: pt.to_left_padding(x, torch.tensor([4, 1])), "lengths"),
        (lambda: pt.masked_cross_entropy(x, -torch.ones(2, 3, dtype=torch.long), two > 0), "targets"),
        (lambda: pt.mask_from_ids(torch.tensor([[1, -1]])), "ids"),
    ]  # fmt: skip
    for call, name in cases:
        try:
            call()
        except (ValueError, TypeError) as error:
            if name not in str(error):
                return f"error does not name {name}: {error}"
        else:
            return f"no error for a bad {name}"
    return None


def torch_matrix(
    recipes: tuple[str, ...] = TORCH_RECIPES,
    contexts: tuple[str, ...] = TORCH_CONTEXTS,
    *,
    backend: str = "inductor",
) -> dict[str, dict[str, str]]:
    """PyTorch recipes × contexts: ``{recipe: {context: "pass" | "fail: ..."}}``.

    Compiled contexts compile one function per recipe with
    ``torch.compile(fullgraph=True, backend=backend)``: any graph break or
    data-dependent branch fails the cell. ``dynamic=True`` cells are called on
    two shapes.
    """
    import torch

    calls = _torch_calls()
    case, other = _case(0), _case(1, batch=4, time=7)
    expected, expected_other = _reference(case), _reference(other)
    half_x = case["x"].astype(np.float16)
    expected_half = _reference(case, half_x)
    bad = _torch_bad_values_raise() if "eager" in contexts else None
    result: dict[str, dict[str, str]] = {}
    for name in recipes:
        call, row = calls[name], {}
        compiled = {}
        for context in contexts:
            try:
                if context in ("eager", "lists and NumPy"):
                    numpy = context == "lists and NumPy"
                    args = _torch_args(case, as_numpy=numpy)
                    if numpy:  # lists for the 1-D and 2-D arguments, NumPy for x
                        args = [args[0], *(a.tolist() for a in args[1:5]), args[5]]
                    problem = _close(_to_numpy(call(*args)), expected[name], 1e-5)
                    if context == "eager" and problem is None:
                        problem = bad
                elif context.startswith("compiled"):
                    dynamic = "dynamic" in context
                    if dynamic not in compiled:
                        compiled[dynamic] = torch.compile(
                            call, fullgraph=True, dynamic=dynamic, backend=backend
                        )
                    integer = "0/1" in context
                    pairs = [(case, expected)] + (
                        [(other, expected_other)] if dynamic else []
                    )
                    problem = None
                    for inputs, want in pairs:
                        got = compiled[dynamic](
                            *_torch_args(inputs, integer_mask=integer)
                        )
                        problem = problem or _close(_to_numpy(got), want[name], 1e-5)
                elif context == "autocast(bfloat16)":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        got = call(*_torch_args(case))
                    problem = _close(_to_numpy(got), expected[name], 2e-2)
                elif context == "float16 inputs":
                    got = call(*_torch_args(case, dtype=torch.float16))
                    problem = _close(_to_numpy(got), expected_half[name], 1e-2)
                else:
                    raise ValueError(f"unknown context {context!r}")
                row[context] = PASS if problem is None else _fail(problem)
            except Exception as error:  # noqa: BLE001 -- a failing cell is a result
                row[context] = _fail(error)
        result[name] = row
        torch._dynamo.reset()
    return result


def _to_numpy(value) -> np.ndarray:
    import torch

    if isinstance(value, torch.Tensor):
        value = value.detach()
        if value.dtype == torch.bfloat16:
            value = value.float()
        return value.numpy()
    return np.asarray(value)


# --- Keras --------------------------------------------------------------------------------------

VOCAB, DIM = 12, 4


def _keras_eager(keras, pk) -> dict[str, str]:
    """Each Keras recipe on this backend's eager tensors; bad values must raise."""
    case = _case(0)
    expected = _reference(case)
    t = keras.ops.convert_to_tensor
    x, mask, lengths = t(case["x"]), t(case["mask"]), t(case["lengths"])
    targets, left = (
        t(case["targets"]),
        t(pn.to_left_padding(case["x"], case["lengths"])),
    )
    time = case["mask"].shape[1]
    got = {
        "lengths_to_mask": lambda: pk.lengths_to_mask(lengths, max_len=time),
        "mask_to_lengths": lambda: pk.mask_to_lengths(mask),
        "masked_sum": lambda: pk.masked_sum(x, mask),
        "masked_mean": lambda: pk.masked_mean(x, mask),
        "masked_max": lambda: pk.masked_max(x, t(case["mask"].astype("int32"))),
        "masked_softmax": lambda: pk.masked_softmax(x[..., 0], mask),
        "to_left_padding": lambda: pk.to_left_padding(x, lengths),
        "to_right_padding": lambda: pk.to_right_padding(left, lengths),
        "masked_cross_entropy": lambda: pk.masked_cross_entropy(x, targets, mask),
        "attention_mask": lambda: pk.attention_mask(mask),
    }
    two = t(np.array([[1, 2, 0], [1, 0, 0]]))
    x3 = t(np.zeros((2, 3, 4), "float32"))
    bad = {
        "lengths_to_mask": lambda: pk.lengths_to_mask(t(np.array([5, 1])), max_len=3),
        "mask_to_lengths": lambda: pk.mask_to_lengths(two),
        "masked_sum": lambda: pk.masked_sum(x3, -two),
        "masked_mean": lambda: pk.masked_mean(x3, t(np.full((2, 3), 0.5, "float32"))),
        "masked_max": lambda: pk.masked_max(x3, two),
        "masked_softmax": lambda: pk.masked_softmax(x3[..., 0], two),
        "to_left_padding": lambda: pk.to_left_padding(x3, t(np.array([4, 1]))),
        "to_right_padding": lambda: pk.to_right_padding(x3, t(np.array([-1, 1]))),
        "masked_cross_entropy": lambda: pk.masked_cross_entropy(
            x3, t(np.array([[-1, 0, 0], [0, 0, 0]])), t(np.ones((2, 3), bool))
        ),
        "attention_mask": lambda: pk.attention_mask(two),
        "PaddingIdxEmbedding": lambda: pk.PaddingIdxEmbedding(5, 2)(t(np.array([[1, -1]]))),
    }  # fmt: skip
    row = {}
    for name in KERAS_RECIPES:
        try:
            if name in got:
                problem = _close(
                    keras.ops.convert_to_numpy(got[name]()), expected[name], 1e-5
                )
            elif name == "MaskedDense":
                emb = keras.layers.Embedding(5, 2, mask_zero=True)
                ids = np.array([[3, 1, 0]])
                out = keras.ops.convert_to_numpy(pk.MaskedDense(3)(emb(ids)))
                problem = (
                    None
                    if (out[0, 2] == 0).all() and (out[0, :2] != 0).any()
                    else "masked step not zero"
                )
            elif name == "PaddingIdxEmbedding":
                layer = pk.PaddingIdxEmbedding(6, 2, padding_idx=1)
                out = keras.ops.convert_to_numpy(layer(np.array([[3, 1]])))
                table = keras.ops.convert_to_numpy(layer.embeddings)
                problem = _close(out[0], np.stack([table[3], np.zeros(2)]), 1e-6)
            elif name == "densify":
                if keras.backend.backend() != "tensorflow":
                    row[name] = NA
                    continue
                import tensorflow as tf

                g = tf.IndexedSlices(
                    tf.ones((3, 2)), tf.constant([1, 1, 0]), tf.constant([3, 2])
                )
                problem = _close(pk.densify(g).numpy(), [[1, 1], [2, 2], [0, 0]], 0)
            if problem is None and name in bad:
                try:
                    bad[name]()
                    problem = "bad values did not raise"
                except (ValueError, TypeError):
                    pass
            row[name] = PASS if problem is None else _fail(problem)
        except Exception as error:  # noqa: BLE001 -- a failing cell is a result
            row[name] = _fail(error)
    return row  # fmt: skip


def _dataset(examples: int = 10, batch: int = 4, seed: int = 0):
    """A padded_batch dataset of (ids, ids): 10 sequences in batches of 4 (last one 2)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    sequences = [rng.integers(1, VOCAB, size=rng.integers(1, 8)).astype("int32") for _ in range(examples)]  # fmt: skip
    ds = tf.data.Dataset.from_generator(
        lambda: ((s, s) for s in sequences),
        output_signature=(tf.TensorSpec((None,), tf.int32),) * 2,
    )
    return ds.padded_batch(batch)


def _build(keras, pk):
    """A functional model on Input((None,)) whose layers call every Keras recipe.

    Returns (train, probe): ``train`` maps ids to logits; ``probe`` also returns
    every intermediate, so each recipe's output can be checked against NumPy.
    """

    class Recipes(keras.layers.Layer):
        """Calls every shared recipe on the masked sequence it receives."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, h, mask=None):
            lengths = pk.mask_to_lengths(mask)
            time = keras.ops.shape(h)[1]
            again = pk.lengths_to_mask(lengths, max_len=time)
            scores = keras.ops.sum(h, axis=-1)
            probs = pk.masked_softmax(scores, again)
            left = pk.to_left_padding(h, lengths)
            right = pk.to_right_padding(left, lengths)
            pooled = keras.ops.concatenate(
                [
                    pk.masked_sum(h, mask),
                    pk.masked_mean(h, again),
                    pk.masked_max(h, mask),
                    keras.ops.einsum("bt,btd->bd", probs, h),
                ],
                axis=-1,
            )
            return {
                "lengths": lengths, "again": again, "probs": probs, "left": left,
                "right": right, "pooled": pooled, "attend": pk.attention_mask(mask),
            }  # fmt: skip

        def compute_mask(self, inputs, mask=None):
            return None

    class Head(keras.layers.Layer):
        """Adds the pooled vector to every step: the recipes' outputs reach the loss."""

        def call(self, seq, pooled):
            return seq + keras.ops.expand_dims(pooled, 1)

    ids = keras.Input((None,), dtype="int32", name="ids")
    embedded = keras.layers.Embedding(VOCAB, DIM, mask_zero=True)(ids)
    padded = pk.PaddingIdxEmbedding(VOCAB, DIM, padding_idx=0)(ids)
    summed = keras.layers.Add()([embedded, padded])
    h = pk.MaskedDense(DIM)(summed)
    out = Recipes()(h)
    attended = keras.layers.MultiHeadAttention(num_heads=1, key_dim=DIM)(
        out["right"], out["right"], attention_mask=out["attend"]
    )
    pooled = keras.layers.Dense(DIM)(out["pooled"])
    logits = keras.layers.Dense(VOCAB, dtype="float32")(Head()(attended, pooled))
    train = keras.Model(ids, logits)
    probe = keras.Model(ids, {"summed": summed, "h": h, "logits": logits, **out})
    return train, probe


def _loss(pk):
    def masked_cross_entropy_loss(y_true, y_pred):
        return pk.masked_cross_entropy(y_pred, y_true, y_true != 0)

    return masked_cross_entropy_loss


def _check_model(keras, pk, probe, train, policy: str) -> dict[str, str | None]:
    """Each recipe's output in the trained model, on a length never seen, against NumPy."""
    rng = np.random.default_rng(7)
    lengths = np.array([11, 4, 9])
    ids = np.where(np.arange(11)[None, :] < lengths[:, None], rng.integers(1, VOCAB, (3, 11)), 0).astype("int32")  # fmt: skip
    mask = ids != 0
    got = probe.predict(ids, verbose=0)
    got = {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in got.items()}
    h = got["h"].astype(np.float32)
    tol = 1e-4 if policy == "float32" else 3e-2
    probs = pn.masked_softmax(h.sum(-1), mask)
    left = pn.to_left_padding(h, lengths)
    pooled = np.concatenate([pn.masked_sum(h, mask), pn.masked_mean(h, mask), pn.masked_max(h, mask), np.einsum("bt,btd->bd", probs, h)], -1)  # fmt: skip
    width = DIM
    checks = {
        "mask_to_lengths": _close(got["lengths"], lengths, 0),
        "lengths_to_mask": _close(got["again"], mask, 0),
        "masked_softmax": _close(got["probs"].astype(np.float32), probs, tol),
        "to_left_padding": _close(got["left"].astype(np.float32), left, tol),
        "to_right_padding": _close(got["right"].astype(np.float32), h, tol),
        "masked_sum": _close(got["pooled"][:, :width].astype(np.float32), pooled[:, :width], tol),
        "masked_mean": _close(got["pooled"][:, width : 2 * width].astype(np.float32), pooled[:, width : 2 * width], tol),
        "masked_max": _close(got["pooled"][:, 2 * width : 3 * width].astype(np.float32), pooled[:, 2 * width : 3 * width], tol),
        "attention_mask": _close(got["attend"], _attention_reference(mask, causal=False), 0),
    }  # fmt: skip
    dense = next(layer for layer in train.layers if isinstance(layer, pk.MaskedDense))
    kernel, bias = (np.asarray(keras.ops.convert_to_numpy(w)).astype(np.float32) for w in dense.weights)  # fmt: skip
    want = np.where(
        mask[..., None], got["summed"].astype(np.float32) @ kernel + bias, 0
    )
    checks["MaskedDense"] = _close(h, want, tol)
    emb = next(
        layer for layer in train.layers if isinstance(layer, pk.PaddingIdxEmbedding)
    )
    table = np.asarray(keras.ops.convert_to_numpy(emb.embeddings))
    checks["PaddingIdxEmbedding"] = None if (table[0] == 0).all() else "pad row moved in training"  # fmt: skip
    # compile(loss=masked_cross_entropy): Keras' evaluate equals the NumPy loss.
    loss = train.evaluate(ids, ids, verbose=0)
    loss = loss[0] if isinstance(loss, list) else loss
    want_loss = pn.masked_cross_entropy(got["logits"].astype(np.float64), ids, mask)
    checks["masked_cross_entropy"] = _close(loss, want_loss, 1e-3 if policy == "float32" else 3e-2)  # fmt: skip
    checks["densify"] = NA
    return checks


def _keras_fit(keras, pk, *, jit_compile: bool, policy: str) -> dict[str, str]:
    keras.mixed_precision.set_dtype_policy(policy if policy != "float32" else "float32")
    try:
        keras.utils.set_random_seed(0)
        train, probe = _build(keras, pk)
        train.compile(optimizer=keras.optimizers.Adam(1e-2), loss=_loss(pk), jit_compile=jit_compile)  # fmt: skip
        history = train.fit(_dataset(), epochs=1, shuffle=False, verbose=0)
        losses = history.history["loss"]
        checks = _check_model(keras, pk, probe, train, policy)
        if not np.isfinite(losses).all():
            checks["masked_cross_entropy"] = f"training loss not finite: {losses}"
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    return {name: PASS if c is None else (NA if c == NA else _fail(c)) for name, c in checks.items()}  # fmt: skip


def _keras_save_load(keras, pk) -> dict[str, str]:
    keras.utils.set_random_seed(0)
    ids = keras.Input((None,), dtype="int32")
    out = pk.MaskedDense(3)(pk.PaddingIdxEmbedding(VOCAB, DIM, padding_idx=1)(ids))
    model = keras.Model(ids, out)
    batch = np.array([[3, 4, 1, 1], [5, 1, 1, 1]], "int32")
    before = keras.ops.convert_to_numpy(model(batch))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        loaded = keras.saving.load_model(path)  # no custom_objects
    after = keras.ops.convert_to_numpy(loaded(batch))
    problem = _close(after, before, 1e-6)
    kinds = {type(layer).__name__ for layer in loaded.layers}
    if problem is None and not {"MaskedDense", "PaddingIdxEmbedding"} <= kinds:
        problem = f"loaded layers are {sorted(kinds)}"
    cell = PASS if problem is None else _fail(problem)
    return {"MaskedDense": cell, "PaddingIdxEmbedding": cell}


def keras_matrix(
    contexts: tuple[str, ...] = KERAS_CONTEXTS, skip: tuple[str, ...] = ()
) -> dict[str, dict[str, str]]:
    """Keras recipes × contexts on this process's backend: ``{recipe: {context: cell}}``.

    Contexts in ``skip`` are not run; their cells say so (``"not run"``).
    """
    import keras

    import padguide.keras as pk

    columns: dict[str, dict[str, str]] = {}
    jax = keras.backend.backend() == "jax"
    fits = {
        "fit on Input((None,))": {"jit_compile": False, "policy": "float32"},
        "jit_compile=True": {"jit_compile": True, "policy": "float32"},
        # Mixed precision as each backend runs it by default: JAX jitted.
        "mixed_float16": {"jit_compile": jax, "policy": "mixed_float16"},
        "mixed_bfloat16": {"jit_compile": jax, "policy": "mixed_bfloat16"},
    }
    for context in contexts:
        try:
            if context in skip:
                columns[context] = dict.fromkeys(KERAS_RECIPES, SKIPPED)
            elif context == "mixed_float16" and jax and _jax_on_cpu():
                # XLA's CPU backend has no float16 matrix product (F16_F16_F32):
                # the model's Dense layers cannot run, whatever the recipes do.
                columns[context] = dict.fromkeys(KERAS_RECIPES, NA)
            elif context == "eager":
                columns[context] = _keras_eager(keras, pk)
            elif context in fits:
                columns[context] = _keras_fit(keras, pk, **fits[context])
            elif context == "compile(loss=...)":
                fit = columns.get("fit on Input((None,))") or _keras_fit(keras, pk, **fits["fit on Input((None,))"])  # fmt: skip
                columns[context] = {"masked_cross_entropy": fit["masked_cross_entropy"]}
            elif context == "save and load":
                columns[context] = _keras_save_load(keras, pk)
            else:
                raise ValueError(f"unknown context {context!r}")
        except Exception as error:  # noqa: BLE001 -- a failing column is a result
            columns[context] = {name: _fail(error) for name in KERAS_RECIPES}
            traceback.print_exc()
    return {
        name: {context: columns[context].get(name, NA) for context in contexts}
        for name in KERAS_RECIPES
    }


def _jax_on_cpu() -> bool:
    import jax

    return jax.default_backend() == "cpu"


# --- all of it, one process per Keras backend -------------------------------------------------


def _run(args: list[str]) -> dict:
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "PYTHONWARNINGS": "ignore",
    }
    if "--backend" in args:
        env["KERAS_BACKEND"] = args[args.index("--backend") + 1]
    done = subprocess.run(
        [sys.executable, "-m", "padguide.experiments.contexts", *args],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"contexts {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


BUILD_SKIPS = {"torch": ("jit_compile=True",)}
"""Keras contexts the book's build leaves to the tests, per backend: there Keras
compiles a whole training step with ``torch.compile``, minutes on two cores."""


def matrix(
    backends: tuple[str, ...] = ("tensorflow", "jax", "torch"),
    *,
    torch: bool = True,
    build: bool = False,
) -> dict[str, dict]:
    """Every cell: ``{"PyTorch": {recipe: {context: cell}}, "Keras (jax)": ...}``.

    Each column group runs in its own process (the Keras backend is fixed per
    process), two at a time. ``build=True`` is the book's cheaper run:
    PyTorch compiles with the ``aot_eager`` backend (TorchDynamo still traces
    with ``fullgraph=True``, so a graph break fails the cell; Inductor's code
    generation is left to the tests), and :data:`BUILD_SKIPS` are not run.
    """
    jobs = {}
    for b in backends:
        skips = BUILD_SKIPS.get(b, ()) if build else ()
        jobs[f"Keras ({b})"] = [
            "--backend",
            b,
            *(a for c in skips for a in ("--skip", c)),
        ]
    if torch:
        compiler = ["--compile-backend", "aot_eager"] if build else []
        jobs = {"PyTorch": ["--torch", *compiler], **jobs}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run, args) for name, args in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def failures(result: dict[str, dict]) -> list[str]:
    """Every failing cell, as ``"group / recipe / context: reason"``."""
    return [
        f"{group} / {recipe} / {context}: {cell}"
        for group, rows in result.items()
        for recipe, row in rows.items()
        for context, cell in row.items()
        if cell.startswith("fail")
    ]


def matrix_table(result: dict[str, dict]):
    """One table per framework group: recipes as rows, contexts as columns, ✓ / ✗ / —."""
    import pandas as pd

    marks = {PASS: "✓", NA: "—", SKIPPED: "·"}
    tables = {}
    for group, rows in result.items():
        frame = pd.DataFrame(rows).T
        tables[group] = frame.map(lambda c: marks.get(c, "✗"))
    keras_groups = [g for g in tables if g.startswith("Keras")]
    if keras_groups:
        keras = pd.concat({g.removeprefix("Keras (").rstrip(")"): tables[g] for g in keras_groups}, axis=1)  # fmt: skip
        keras = keras.swaplevel(0, 1, axis=1).sort_index(axis=1, level=0, sort_remaining=False)  # fmt: skip
        keras = keras.reindex(columns=list(KERAS_CONTEXTS), level=0)
        tables = {k: v for k, v in tables.items() if k not in keras_groups}
        tables["Keras"] = keras
    return tables


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m padguide.experiments.contexts", description=__doc__
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--backend", help="run the Keras recipes on this process's backend"
    )
    group.add_argument("--torch", action="store_true", help="run the PyTorch recipes")
    parser.add_argument(
        "--skip", action="append", default=[], help="a Keras context not to run"
    )
    parser.add_argument(
        "--compile-backend", default="inductor", help="torch.compile backend"
    )
    args = parser.parse_args(argv)
    if args.torch:
        result = torch_matrix(backend=args.compile_backend)
    else:
        os.environ.setdefault("KERAS_BACKEND", args.backend)
        import keras

        if keras.backend.backend() != args.backend:
            parser.error(
                f"KERAS_BACKEND is {keras.backend.backend()}, not {args.backend}"
            )
        result = keras_matrix(skip=tuple(args.skip))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
