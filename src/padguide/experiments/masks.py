"""Masks through a whole model: normalisation, convolution, positions, polarity, losses.

Each experiment changes only what sits at the pad positions (or shifts a
sequence along its positions) and reports how much the real positions'
results move, next to a control run without the cure (the mask dropped, no
re-zeroing, absolute positions ...). Seeded; numpy and plain numbers out.
Keras is reached through :func:`padguide.keras_backend.get_keras` inside the
Keras experiments. The claims about them are in :mod:`padguide.claims.masks`.
"""

from __future__ import annotations

import copy
import functools
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from padguide.keras_backend import get_keras, is_keras3

__all__ = [
    "LENGTHS",
    "ConvRun",
    "NormRun",
    "PositionRun",
    "SampleWeightRun",
    "causal_table",
    "conv_run",
    "norm_run",
    "polarity",
    "polarity_table",
    "position_run",
    "sample_weight_run",
    "sample_weight_table",
    "stacked_table",
]

LENGTHS = (5, 3, 2)
"""Real tokens per row of the experiments' batch (padded on the right to the longest)."""
TIME, FEATURES = 6, 4


def _mask(lengths=LENGTHS, time: int = TIME, side: str = "right") -> np.ndarray:
    """``True`` at real tokens, ``(batch, time)``."""
    steps = np.arange(time)[None, :]
    lengths = np.asarray(lengths)[:, None]
    return steps < lengths if side == "right" else steps >= time - lengths


def _features(seed: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features ``(batch, time, features)``, and the same with other values at the pads."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((*mask.shape, FEATURES)).astype("float32")
    other = np.where(mask[..., None], x, 5 * rng.standard_normal(x.shape)).astype(
        "float32"
    )
    return x, other


def _gap(a, b, where=None) -> float:
    """Largest absolute difference, over ``where`` (a boolean ``(batch, time)``) if given."""
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    if where is not None:
        a, b = a[where], b[where]
    return float(np.abs(a - b).max()) if a.size else 0.0


def _numpy(K, value) -> np.ndarray:
    """A Keras output as numpy on any backend (a torch tensor may require grad)."""
    return K.ops.convert_to_numpy(value) if hasattr(K, "ops") else np.asarray(value)


def _keras_quietly(fn):
    """Run ``fn`` and return its result and the warnings it raised (Keras warns on stderr)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [str(w.message) for w in caught]


# --- normalisation --------------------------------------------------------------------------


@dataclass(frozen=True)
class NormRun:
    """How much the real positions move when only the pads' values change."""

    torch_batchnorm: float
    """``nn.BatchNorm1d`` in training mode (batch statistics)."""
    torch_batchnorm_eval: float
    """The control: the same layer in eval mode (running statistics)."""
    torch_layernorm: float
    """``nn.LayerNorm``: each position normalised on its own."""
    torch_layernorm_mean_pooled: float
    """``nn.LayerNorm`` then a plain mean over time (pads counted)."""
    torch_layernorm_masked_mean: float
    """``nn.LayerNorm`` then a mean over the real positions only."""
    keras_batchnorm_masked: float
    """Keras ``BatchNormalization`` in training, given the mask."""
    keras_batchnorm_unmasked: float
    """The control: the same layer without the mask."""
    keras3: bool


def _torch_norms(x: np.ndarray, mask: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    bn = nn.BatchNorm1d(FEATURES)
    ln = nn.LayerNorm(FEATURES)
    t = torch.as_tensor(x)
    m = torch.as_tensor(mask, dtype=torch.float32)[..., None]
    with torch.no_grad():
        layer_normed = ln(t)
        # BatchNorm1d is channels-first: (batch, channels, time). Eval first, while
        # the running statistics are still those of a fresh layer.
        bn_eval = bn.eval()(t.transpose(1, 2)).transpose(1, 2)
        out = {
            "bn": bn.train()(t.transpose(1, 2)).transpose(1, 2),
            "bn_eval": bn_eval,
            "ln": layer_normed,
            "ln_mean": layer_normed.mean(1),
            "ln_masked_mean": (layer_normed * m).sum(1) / m.sum(1),
        }
    return {k: v.numpy() for k, v in out.items()}


def _keras_batchnorm(x: np.ndarray, mask: np.ndarray, seed: int):
    K = get_keras()
    K.utils.set_random_seed(seed)
    bn = K.layers.BatchNormalization()
    masked = _numpy(K, bn(x, training=True, mask=mask))
    unmasked = _numpy(K, bn(x, training=True))
    return masked, unmasked, is_keras3(K)


@functools.cache
def norm_run(seed: int = 0) -> NormRun:
    mask = _mask()
    x, other = _features(seed, mask)
    a, b = _torch_norms(x, mask, seed), _torch_norms(other, mask, seed)
    (ka, ka_plain, keras3), _ = _keras_quietly(lambda: _keras_batchnorm(x, mask, seed))
    (kb, kb_plain, _), _ = _keras_quietly(lambda: _keras_batchnorm(other, mask, seed))
    return NormRun(
        torch_batchnorm=_gap(a["bn"], b["bn"], mask),
        torch_batchnorm_eval=_gap(a["bn_eval"], b["bn_eval"], mask),
        torch_layernorm=_gap(a["ln"], b["ln"], mask),
        torch_layernorm_mean_pooled=_gap(a["ln_mean"], b["ln_mean"]),
        torch_layernorm_masked_mean=_gap(a["ln_masked_mean"], b["ln_masked_mean"]),
        keras_batchnorm_masked=_gap(ka, kb, mask),
        keras_batchnorm_unmasked=_gap(ka_plain, kb_plain, mask),
        keras3=keras3,
    )


# --- convolution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvRun:
    """Largest difference at real positions from each row run alone (unpadded)."""

    keras_warning: str
    """What Keras said when an Embedding's mask reached Conv1D ('' if nothing)."""
    keras_conv_output_has_mask: bool
    keras_pooled_conv: float
    """Embedding(mask_zero) -> Conv1D(kernel 1) -> GlobalAveragePooling1D, padded vs alone."""
    keras_pooled_dense: float
    """The control: Dense instead of Conv1D, which passes the mask on to the pooling."""
    stacked: dict[str, float]
    """Two 'same' convolutions, by framework and re-zeroing."""
    causal: dict[str, float]
    """Two Keras causal convolutions, by padding side and re-zeroing."""


def _keras_pooling(layer: str, seed: int):
    K = get_keras()
    K.utils.set_random_seed(seed)
    ids = np.array([[3, 4, 5, 0, 0, 0], [6, 7, 0, 0, 0, 0]])
    inputs = K.Input((None,), dtype="int32")
    h = K.layers.Embedding(10, FEATURES, mask_zero=True)(inputs)
    # Named, so Keras's warning (quoted as evidence) does not carry an auto-numbered
    # name that depends on how many layers this process built before.
    h = (
        K.layers.Conv1D(FEATURES, 1, name="conv1d")(h)
        if layer == "Conv1D"
        else K.layers.Dense(FEATURES)(h)
    )
    has_mask = getattr(h, "_keras_mask", None) is not None
    model = K.Model(inputs, K.layers.GlobalAveragePooling1D()(h))
    padded = _numpy(K, model(ids))
    alone = np.stack([_numpy(K, model(row[row != 0][None]))[0] for row in ids])
    return _gap(padded, alone), has_mask


def _conv_stack_keras(x, mask, rezero: str, seed: int, padding: str = "same"):
    """Two Keras Conv1D (channels-last); ``rezero``: 'none', 'input' or 'each'."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    convs = [K.layers.Conv1D(FEATURES, 3, padding=padding) for _ in range(2)]
    m = mask[..., None].astype("float32")  # channels-last: (batch, time, 1)
    h = x
    for i, conv in enumerate(convs):
        if rezero == "each" or (rezero == "input" and i == 0):
            h = h * m
        h = _numpy(K, conv(h))
    return h


def _conv_stack_torch(x, mask, rezero: str, seed: int):
    """Two ``nn.Conv1d`` (channels-first); ``rezero``: 'none', 'input' or 'each'."""
    torch.manual_seed(seed)
    convs = [nn.Conv1d(FEATURES, FEATURES, 3, padding=1) for _ in range(2)]
    m = torch.as_tensor(mask, dtype=torch.float32)[:, None, :]  # (batch, 1, time)
    h = torch.as_tensor(x).transpose(1, 2)
    with torch.no_grad():
        for i, conv in enumerate(convs):
            if rezero == "each" or (rezero == "input" and i == 0):
                h = h * m
            h = conv(h)
    return h.transpose(1, 2).numpy()


def _against_alone(stack, x, mask, **kwargs) -> float:
    """Largest difference at real positions between the batch and each row alone."""
    batch = stack(x, mask, **kwargs)
    worst = 0.0
    for row in range(len(x)):
        real = mask[row]
        alone = stack(
            x[row : row + 1, real], np.ones((1, int(real.sum())), bool), **kwargs
        )
        worst = max(worst, _gap(batch[row, real], alone[0]))
    return worst


@functools.cache
def conv_run(seed: int = 0) -> ConvRun:
    (conv, has_mask), caught = _keras_quietly(lambda: _keras_pooling("Conv1D", seed))
    (dense, _), _ = _keras_quietly(lambda: _keras_pooling("Dense", seed))
    warning = next((w for w in caught if "mask" in w), "")
    right = _mask()
    x, _ = _features(seed, right)
    stacked = {}
    for rezero in ("none", "input", "each"):
        stacked[f"torch Conv1d, re-zero {rezero}"] = _against_alone(
            _conv_stack_torch, x, right, rezero=rezero, seed=seed
        )
        stacked[f"keras Conv1D, re-zero {rezero}"] = _keras_quietly(
            lambda rezero=rezero: _against_alone(
                _conv_stack_keras, x, right, rezero=rezero, seed=seed
            )
        )[0]
    causal = {}
    for side in ("right", "left"):
        mask = _mask(side=side)
        xs, _ = _features(seed, mask)
        for rezero in ("none", "each"):
            causal[f"{side} padding, re-zero {rezero}"] = _keras_quietly(
                lambda mask=mask, xs=xs, rezero=rezero: _against_alone(
                    _conv_stack_keras,
                    xs,
                    mask,
                    rezero=rezero,
                    seed=seed,
                    padding="causal",
                )
            )[0]
    return ConvRun(warning, has_mask, conv, dense, stacked, causal)


def stacked_table(seed: int = 0):
    """Two stacked 'same' convolutions, by framework and re-zeroing, against alone."""
    import pandas as pd

    stacked = conv_run(seed).stacked
    frame = pd.DataFrame(
        {
            name: {
                z: stacked[f"{name}, re-zero {z}"] for z in ("none", "input", "each")
            }
            for name in ("torch Conv1d", "keras Conv1D")
        }
    ).rename(
        index={
            "none": "never zeroed",
            "input": "zeroed once, before the first layer",
            "each": "re-zeroed before each layer",
        }
    )
    frame.index.name = "padding"
    return frame.map("{:.1e}".format)


def causal_table(seed: int = 0):
    """Two stacked Keras causal convolutions, by padding side and re-zeroing."""
    import pandas as pd

    causal = conv_run(seed).causal
    frame = pd.DataFrame(
        {
            f"{side} padding": {
                "never zeroed": causal[f"{side} padding, re-zero none"],
                "re-zeroed before each layer": causal[f"{side} padding, re-zero each"],
            }
            for side in ("right", "left")
        }
    )
    frame.index.name = "padding values"
    return frame.map("{:.1e}".format)


# --- positions ------------------------------------------------------------------------------


def _rotate(
    x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0
) -> torch.Tensor:
    """Rotary position embedding (RoPE) of ``x`` ``(time, dim)`` at ``positions``."""
    half = x.shape[-1] // 2
    freqs = base ** (-torch.arange(half, dtype=torch.float64) / half)
    angles = positions[:, None].double() * freqs[None, :]
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half].double(), x[..., half:].double()
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], -1)


@dataclass(frozen=True)
class PositionRun:
    """Attention scores of one sequence at positions 0..n-1 against the same shifted by pads."""

    shift: int
    rotary: float
    """Largest change of the scores with rotary positions."""
    absolute: float
    """The control: learned absolute positions added to the inputs."""


def position_run(
    seed: int = 0, n: int = 4, shift: int = 3, dim: int = 8
) -> PositionRun:
    """Scores ``q·k`` of a sequence at positions ``0..n-1`` and at ``shift..shift+n-1``.

    ``shift`` is what left padding by ``shift`` pads does to positions ``0..T-1``.
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=gen, dtype=torch.float64)
    wq, wk = (
        torch.randn(dim, dim, generator=gen, dtype=torch.float64) for _ in range(2)
    )
    table = torch.randn(n + shift, dim, generator=gen, dtype=torch.float64)
    at, shifted = torch.arange(n), torch.arange(n) + shift

    def rotary(pos):
        return _rotate(x @ wq, pos) @ _rotate(x @ wk, pos).T

    def absolute(pos):
        h = x + table[pos]
        return (h @ wq) @ (h @ wk).T

    return PositionRun(
        shift,
        _gap(rotary(at).numpy(), rotary(shifted).numpy()),
        _gap(absolute(at).numpy(), absolute(shifted).numpy()),
    )


# --- polarity -------------------------------------------------------------------------------


def _influence(run, x: np.ndarray, key: int = 0, query: int = 1) -> float:
    """How much the output at ``query`` moves when only the input at ``key`` changes."""
    other = x.copy()
    other[:, key] += 3.0
    return _gap(run(x)[:, query], run(other)[:, query])


def _category(values) -> str:
    values = np.asarray(values, dtype="float64")
    if np.isnan(values).any():
        return "NaN"
    return "zeros" if np.all(values == 0) else "finite, not zero"


def _polarity_rows(seed: int) -> dict[str, dict[str, object]]:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 3, FEATURES)).astype("float32")
    rows = {}

    mha = nn.MultiheadAttention(FEATURES, 2, batch_first=True).eval()
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(FEATURES, 2, 8, dropout=0.0, batch_first=True),
        1,
        enable_nested_tensor=False,
    ).eval()

    def torch_run(fn):
        def run(arr):
            with torch.no_grad():
                return fn(torch.as_tensor(arr)).numpy()

        return run

    key0 = torch.tensor([[True, False, False]])
    everything = torch.ones(1, 3, dtype=torch.bool)
    blocked_rows = torch.tensor(
        [[True, False, False], [True, True, True], [True, False, False]]
    )

    def mha_kpm(mask):
        return torch_run(
            lambda a: mha(a, a, a, key_padding_mask=mask, need_weights=True)[0]
        )

    def mha_attn(mask):
        return torch_run(lambda a: mha(a, a, a, attn_mask=mask, need_weights=True)[0])

    def sdpa(mask):
        return torch_run(
            lambda a: F.scaled_dot_product_attention(a, a, a, attn_mask=mask)
        )

    def enc(mask):
        return torch_run(lambda a: encoder(a, src_key_padding_mask=mask))

    def meaning(run_marked, run_free):
        marked, free = _influence(run_marked, x), _influence(run_free, x)
        if free > 0 and marked == 0:
            return "ignore this key", marked, free
        return ("attend", marked, free) if marked > 0 else ("unclear", marked, free)

    free = torch.zeros(1, 3, dtype=torch.bool)
    cases = {
        "nn.MultiheadAttention key_padding_mask": (
            mha_kpm(key0), mha_kpm(free), mha_kpm(everything)(x)[0, 0],
        ),
        "nn.MultiheadAttention attn_mask (bool)": (
            mha_attn(key0.expand(3, 3)), mha_attn(free.expand(3, 3)),
            mha_attn(blocked_rows)(x)[0, 1],
        ),
        "TransformerEncoder src_key_padding_mask": (
            enc(key0), enc(free), enc(everything)(x)[0, 0],
        ),
    }  # fmt: skip
    for name, (marked, unmarked, nothing) in cases.items():
        means, on, off = meaning(marked, unmarked)
        rows[name] = {
            "True means": means,
            "key marked / unmarked": [on, off],
            "nothing to attend": _category(nothing),
        }
    # SDPA: mark every key but key 0, so True = attend shows as key 0 still counting.
    only0 = torch.tensor([[True, False, False]]).expand(3, 3)
    none0 = torch.tensor([[False, True, True]]).expand(3, 3)
    nothing = torch.zeros(3, 3, dtype=torch.bool)
    on, off = _influence(sdpa(only0), x), _influence(sdpa(none0), x)
    rows["F.scaled_dot_product_attention attn_mask (bool)"] = {
        "True means": "attend" if on > 0 and off == 0 else "ignore this key",
        "key marked / unmarked": [on, off],
        "nothing to attend": _category(sdpa(nothing)(x)[0, 0]),
    }
    rows.update(_keras_polarity(x, seed))
    return rows


def _keras_polarity(x: np.ndarray, seed: int) -> dict[str, dict[str, object]]:
    K = get_keras()
    K.utils.set_random_seed(seed)
    mha = K.layers.MultiHeadAttention(num_heads=2, key_dim=FEATURES)

    def run(mask):
        return lambda a: _numpy(K, mha(a, a, attention_mask=mask))

    only0 = np.array([[[True, False, False]] * 3])
    none0 = np.array([[[False, True, True]] * 3])
    on, off = _influence(run(only0), x), _influence(run(none0), x)
    nothing = np.zeros((1, 3, 3), bool)
    emb = K.layers.Embedding(5, 2, mask_zero=True)
    keras_mask = _numpy(K, emb.compute_mask(np.array([[3, 0]])))[0].tolist()
    return {
        "Keras mask (Embedding(mask_zero=True))": {
            "True means": "real token" if keras_mask == [True, False] else "padding",
            "key marked / unmarked": [None, None],
            "nothing to attend": "",
        },
        "keras.layers.MultiHeadAttention attention_mask": {
            "True means": "attend" if on > 0 and off == 0 else "ignore this key",
            "key marked / unmarked": [on, off],
            "nothing to attend": _category(run(nothing)(x)[0, 0]),
        },
    }


def _hf_polarity(seed: int) -> dict[str, dict[str, object]]:
    """BERT's ``attention_mask``, if transformers is installed."""
    try:
        import padguide.experiments.huggingface as hf
    except ImportError:
        return {}
    model = hf.bert(seed)
    ids = torch.tensor([[5, 6, 7]])

    def run(mask):
        def go(arr):
            with torch.no_grad():
                # The "input" perturbed is the token at key 0: swap its id.
                changed = ids.clone()
                changed[0, 0] = 5 if arr[0, 0, 0] == 0 else 9
                return model(
                    input_ids=changed, attention_mask=mask
                ).last_hidden_state.numpy()

        return go

    probe = np.zeros((1, 3, 1), "float32")
    only0 = torch.tensor([[1, 0, 0]])
    none0 = torch.tensor([[0, 1, 1]])
    on, off = _influence(run(only0), probe), _influence(run(none0), probe)
    nothing = run(torch.zeros(1, 3, dtype=torch.long))(probe)[0, 0]
    return {
        "Hugging Face attention_mask (BERT)": {
            "True means": "attend" if on > 0 and off == 0 else "ignore this key",
            "key marked / unmarked": [on, off],
            "nothing to attend": _category(nothing),
        }
    }


@functools.cache
def _polarity(seed: int) -> dict[str, dict[str, object]]:
    rows = _keras_quietly(lambda: _polarity_rows(seed))[0]
    rows.update(_hf_polarity(seed))
    return rows


def polarity(seed: int = 0) -> dict[str, dict[str, object]]:
    """What ``True`` (or 1) means in each API's mask, and what a query with nothing to
    attend to gets, found by running each one: a row per API."""
    return copy.deepcopy(_polarity(seed))


def polarity_table(seed: int = 0):
    """:func:`polarity` as a table, one row per API."""
    import pandas as pd

    rows = polarity(seed)
    for row in rows.values():
        row["key marked / unmarked"] = ", ".join(
            "–" if v is None else f"{v:.2g}" for v in row["key marked / unmarked"]
        )
        row["nothing to attend"] = row["nothing to attend"] or "–"
    frame = pd.DataFrame(rows).T
    frame = frame.rename(
        columns={"key marked / unmarked": "a key's influence, marked / unmarked"}
    )
    frame.index.name = "mask"
    return frame


# --- losses ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleWeightRun:
    """A Keras model's loss with a mask and a 2-D ``sample_weight``, against by-hand values."""

    evaluate: float
    fit: float
    """The first (and only) epoch's loss from ``fit`` with a learning rate of 0."""
    by_real_count: float
    """sum(loss * weight * mask) / number of real tokens."""
    by_weight_sum: float
    """sum(loss * weight * mask) / sum(weight * mask): the normalisation it does not use."""
    by_all_positions: float
    """sum(loss * weight * mask) / number of positions."""
    unweighted: float
    """The control: ``evaluate`` without ``sample_weight``."""
    masked_mean: float
    """The mean loss over real tokens."""
    keras3: bool


@functools.cache
def sample_weight_run(seed: int = 0) -> SampleWeightRun:
    """``model.evaluate``/``fit`` on Embedding(mask_zero) -> Dense logits, weighted per token."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    ids = np.array([[3, 4, 5, 6, 0, 0], [7, 8, 0, 0, 0, 0]])
    labels = np.array([[1, 2, 3, 4, 0, 0], [5, 1, 0, 0, 0, 0]])
    weights = rng.uniform(0.5, 2.0, ids.shape).astype("float32")
    inputs = K.Input((None,), dtype="int32")
    hidden = K.layers.Embedding(10, 4, mask_zero=True)(inputs)
    model = K.Model(inputs, K.layers.Dense(6)(hidden))
    model.compile(
        optimizer=K.optimizers.SGD(learning_rate=0.0),
        loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    kwargs = {"batch_size": len(ids), "verbose": 0}
    # Each fit/evaluate traces a new tf.function; past five in a process TensorFlow
    # logs a retracing warning, which would land in whichever page cell is running.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        weighted = float(model.evaluate(ids, labels, sample_weight=weights, **kwargs))
        plain = float(model.evaluate(ids, labels, **kwargs))
        history = model.fit(ids, labels, sample_weight=weights, epochs=1, **kwargs)
    finally:
        tf_logger.setLevel(level)
    logits = _numpy(K, model(ids)).astype("float64")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_token = -np.take_along_axis(log_probs, labels[..., None], -1)[..., 0]
    mask = ids != 0
    total = float((per_token * weights * mask).sum())
    return SampleWeightRun(
        evaluate=weighted,
        fit=float(history.history["loss"][0]),
        by_real_count=total / int(mask.sum()),
        by_weight_sum=total / float((weights * mask).sum()),
        by_all_positions=total / mask.size,
        unweighted=plain,
        masked_mean=float((per_token * mask).sum() / mask.sum()),
        keras3=is_keras3(K),
    )


def sample_weight_table(seed: int = 0):
    """The Keras loss with a mask and a 2-D ``sample_weight``, next to the candidates."""
    import pandas as pd

    r = sample_weight_run(seed)
    values = {
        "model.evaluate(..., sample_weight=w)": r.evaluate,
        "model.fit(..., sample_weight=w), learning rate 0": r.fit,
        "sum(loss · w) over real tokens / number of real tokens": r.by_real_count,
        "sum(loss · w) over real tokens / sum(w) over real tokens": r.by_weight_sum,
        "sum(loss · w) over real tokens / number of positions": r.by_all_positions,
        "model.evaluate(...) without sample_weight": r.unweighted,
        "mean loss over real tokens": r.masked_mean,
    }
    return pd.Series(values, name="loss").round(4).to_frame()
