"""Measurements behind "The cost of padding", written as JSON with their provenance.

Run ``python -m padguide.bench [--quick] [--out DIR]`` (``nox -s bench``).
Timings are recorded, never asserted; every ratio is measured side by side in
one run, on one machine, with the versions written next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from padguide import batching as B
from padguide.provenance import provenance

__all__ = [
    "PADDING_FREE",
    "crossover",
    "padfree_summary",
    "padfree_table",
    "recipe_cost",
    "recipe_cost_table",
    "scale",
    "scale_summary",
    "scale_table",
    "sparse_table",
    "sparse_vs_dense",
    "training_step",
    "training_summary",
    "training_table",
]


# --- one training step, every way of batching ---------------------------------------------------


def _corpus(limit: int | None):
    from padguide.corpus import Vocab, tokenize, twelfth_night

    tokens = [tokenize(s.text) for s in twelfth_night()]
    if limit:
        tokens = tokens[:limit]
    vocab = Vocab.build(tokens)
    sequences = [np.array(vocab.encode(t)) for t in tokens]
    return sequences, np.array([len(s) for s in sequences]), len(vocab)


def _models(kind: str, vocab: int, seed: int):
    import torch
    from torch import nn

    torch.manual_seed(seed)
    dim = 64
    if kind == "lstm":
        model = nn.ModuleDict(
            {
                "embed": nn.Embedding(vocab, dim, padding_idx=0),
                "rnn": nn.LSTM(dim, 128, batch_first=True),
                "head": nn.Linear(128, vocab),
            }
        )
    else:
        layer = nn.TransformerEncoderLayer(dim, 4, 128, dropout=0.0, batch_first=True)
        model = nn.ModuleDict(
            {
                "embed": nn.Embedding(vocab, dim, padding_idx=0),
                "position": nn.Embedding(512, dim),
                "encoder": nn.TransformerEncoder(layer, 2, enable_nested_tensor=False),
                "head": nn.Linear(dim, vocab),
            }
        )
    return model


def _batches_for(method: str, lengths, batch_size: int, max_tokens: int, seed: int):
    if method.startswith("random"):
        return B.random_batches(lengths, batch_size, seed=seed)
    if method.startswith("bucket"):
        return B.bucket_batches(lengths, batch_size, seed=seed)
    if method.startswith("budget, random order"):
        return B.token_budget_batches(lengths, max_tokens, seed=seed, width=np.inf)
    if method.startswith("budget, bucket order"):
        return B.token_budget_batches(lengths, max_tokens, seed=seed)
    raise ValueError(f"unknown method {method!r}")


def _loss_sum(model, kind, method, sequences, lengths, batch, packing=None):  # noqa: PLR0917
    """Summed cross-entropy over the real tokens of one batch (or one packed row)."""
    import torch
    import torch.nn.functional as F

    if method in PADDING_FREE[kind]:
        return _padfree_loss_sum(
            model, kind, method, sequences, lengths, batch, packing
        )
    if packing is not None:  # one packed row of the transformer
        row_members = batch
        ids = np.zeros(packing.capacity, dtype=np.int64)
        for i in row_members:
            start = packing.offset[i]
            ids[start : start + lengths[i]] = sequences[i]
        ids = torch.as_tensor(ids)[None]
        row = int(packing.row[row_members[0]])
        positions = torch.as_tensor(packing.position_ids()[row])[None]
        allowed = torch.as_tensor(packing.attention_mask(row))
        # Padding slots attend themselves only, so that no softmax row is empty.
        allowed |= torch.eye(packing.capacity, dtype=torch.bool) & ~allowed.any(
            -1, keepdim=True
        )
        h = model["embed"](ids) + model["position"](positions)
        h = model["encoder"](h, mask=~allowed)
        logits = model["head"](h)
        real = ids != 0
        return F.cross_entropy(logits[real], ids[real], reduction="sum"), int(
            real.sum()
        )
    ids = torch.as_tensor(B.pad([sequences[i] for i in batch]))
    real = ids != 0
    if kind == "lstm":
        x = model["embed"](ids)
        if "pack_padded_sequence" in method:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                x,
                torch.as_tensor(lengths[batch]),
                batch_first=True,
                enforce_sorted=False,
            )
            out, _ = model["rnn"](packed)
            out, _ = torch.nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=ids.shape[1]
            )
        else:
            out, _ = model["rnn"](x)
        logits = model["head"](out)
    else:
        positions = torch.arange(ids.shape[1])[None].expand_as(ids)
        h = model["embed"](ids) + model["position"](positions)
        h = model["encoder"](h, src_key_padding_mask=~real)
        logits = model["head"](h)
    return F.cross_entropy(logits[real], ids[real], reduction="sum"), int(real.sum())


PADDING_FREE = {
    "lstm": ("random, PackedSequence end to end", "bucket, PackedSequence end to end"),
    "transformer": (
        "random, padding-free (per-sequence attention)",
        "random, jagged (nested tensors + SDPA)",
        "packed rows, document mask (per-sequence attention)",
    ),
}
"""The padding-free methods of each model: no step computes a pad token (packed
rows: only a row's unused tail). Every other method pads."""

PADFREE_TARGET = 0.85
"""The share of its limit the best padding-free method aims at (issue 12)."""


def _encode_flat(model, h, attend):
    """``model["encoder"]`` applied to a flat run of tokens ``(tokens, dim)``, same weights.

    ``attend`` maps q, k, v of shape ``(tokens, heads, head_dim)`` and keeps
    attention within each sequence; everything else acts on each token alone.
    """
    import torch.nn.functional as F

    for layer in model["encoder"].layers:
        sa = layer.self_attn
        qkv = F.linear(h, sa.in_proj_weight, sa.in_proj_bias)
        q, k, v = qkv.unflatten(-1, (3, sa.num_heads, sa.head_dim)).unbind(-3)
        h = layer.norm1(h + sa.out_proj(attend(q, k, v).flatten(-2)))
        h = layer.norm2(h + layer.linear2(layer.activation(layer.linear1(h))))
    return h


def _padfree_loss_sum(model, kind, method, sequences, lengths, batch, packing=None):  # noqa: PLR0917
    """:func:`_loss_sum` of a padding-free method: only real tokens go through the model."""
    import torch
    import torch.nn.functional as F
    from torch.nn.utils.rnn import PackedSequence, pack_sequence

    from padguide.experiments import padfree

    if kind == "lstm":  # embedding, LSTM and head all on the PackedSequence's data
        ids = pack_sequence(
            [torch.as_tensor(sequences[i]) for i in batch], enforce_sorted=False
        )
        x = PackedSequence(model["embed"](ids.data), ids.batch_sizes,
                           ids.sorted_indices, ids.unsorted_indices)  # fmt: skip
        out, _ = model["rnn"](x)
        logits = model["head"](out.data)
        return F.cross_entropy(logits, ids.data, reduction="sum"), len(ids.data)
    sizes = [int(lengths[i]) for i in batch]
    ids = torch.as_tensor(np.concatenate([sequences[i] for i in batch]))
    positions = torch.cat([torch.arange(n) for n in sizes])
    # A packed row: its unused tail is one more segment, with no loss.
    if packing is not None:
        tail = packing.capacity - sum(sizes)
        if tail:
            sizes = [*sizes, tail]
            ids = torch.cat([ids, torch.zeros(tail, dtype=ids.dtype)])
            positions = torch.cat([positions, torch.zeros(tail, dtype=positions.dtype)])
    if "jagged" in method:
        offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(sizes)]))
        attend = padfree.jagged_attention(offsets)
    else:
        attend = padfree.segment_attention(sizes)
    with padfree.quiet():
        h = _encode_flat(
            model, model["embed"](ids) + model["position"](positions), attend
        )
    logits = model["head"](h)
    real = ids != 0
    return F.cross_entropy(logits[real], ids[real], reduction="sum"), int(real.sum())


def training_step(
    kind: str = "lstm",
    *,
    quick: bool = True,
    batch_size: int = 32,
    max_tokens: int = 4096,
    seed: int = 0,
    repeats: int | None = None,
) -> dict:
    """One epoch of training steps per batching method: real tokens per second and loss parity.

    ``kind`` is ``"lstm"`` (Embedding + LSTM) or ``"transformer"`` (Embedding +
    2-layer encoder). All methods start from the same weights; the loss over
    every real token before training must agree to 1e-5 across methods.
    """
    import torch

    if kind not in ("lstm", "transformer"):
        raise ValueError(f"kind must be 'lstm' or 'transformer', got {kind!r}")
    sequences, lengths, vocab = _corpus(limit=240 if quick else None)
    repeats = repeats or (1 if quick else 3)
    methods = ["random, padded", "bucket, padded"]
    if kind == "lstm":
        methods += ["random, pack_padded_sequence", "bucket, pack_padded_sequence"]
    methods += ["budget, random order", "budget, bucket order"]
    if kind == "transformer":
        methods += ["packed rows, block-diagonal mask"]
    # Jagged attention is slow on the CPU: the full run measures it, --quick (CI) skips it.
    methods += [m for m in PADDING_FREE[kind] if not (quick and "jagged" in m)]
    capacity = int(lengths.max())
    packing = B.pack(lengths, capacity)
    initial = _models(kind, vocab, seed).state_dict()
    results = {}
    for method in methods:
        model = _models(kind, vocab, seed)
        model.load_state_dict(initial)
        if method.startswith("packed rows"):
            batches, is_packed = packing.rows, True
            slots = len(packing.rows) * capacity
        else:
            batches = _batches_for(method, lengths, batch_size, max_tokens, seed)
            is_packed = False
            slots = sum(len(b) * int(lengths[b].max()) for b in batches)
            if "pack_padded_sequence" in method:
                slots = int(lengths.sum())  # the RNN steps only over real tokens
            if method in PADDING_FREE[kind]:
                slots = int(lengths.sum())  # no padding slot anywhere
        with torch.no_grad():  # loss parity: same data, same weights, any batching
            total, count = 0.0, 0
            for batch in batches:
                loss, n = _loss_sum(model, kind, method, sequences, lengths, batch,
                                    packing if is_packed else None)  # fmt: skip
                total, count = total + float(loss), count + n
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for batch in batches:
                optimizer.zero_grad()
                loss, n = _loss_sum(model, kind, method, sequences, lengths, batch,
                                    packing if is_packed else None)  # fmt: skip
                (loss / n).backward()
                optimizer.step()
            times.append(time.perf_counter() - start)
        seconds = float(np.median(times))
        results[method] = {
            "initial_loss": total / count,
            "steps": len(batches),
            "efficiency": float(lengths.sum() / slots),
            "seconds": seconds,
            "tokens_per_second": float(lengths.sum() / seconds),
        }
    base = results["random, padded"]
    for r in results.values():
        r["speedup"] = r["tokens_per_second"] / base["tokens_per_second"]
        r["limit"] = r["efficiency"] / base["efficiency"]
    losses = [r["initial_loss"] for r in results.values()]
    return {
        "kind": kind,
        "quick": quick,
        "batch_size": batch_size,
        "max_tokens": max_tokens,
        "examples": len(lengths),
        "real_tokens": int(lengths.sum()),
        "threads": torch.get_num_threads(),
        "loss_parity": float(max(losses) - min(losses)),
        "methods": results,
    }


# --- dense against sparse embedding gradients ---------------------------------------------------


def _torch_step(vocab: int, sparse: bool, ids, repeats: int) -> dict:
    import torch

    torch.manual_seed(0)
    emb = torch.nn.Embedding(vocab, 64, sparse=sparse)
    opt = (torch.optim.SparseAdam if sparse else torch.optim.Adam)(
        emb.parameters(), lr=1e-3
    )
    ids = torch.as_tensor(ids)
    times = []
    for _ in range(repeats + 1):  # the first step allocates the optimizer state
        start = time.perf_counter()
        opt.zero_grad()
        emb(ids).pow(2).mean().backward()
        opt.step()
        times.append(time.perf_counter() - start)
    grad = emb.weight.grad
    grad_bytes = (
        grad._values().nbytes + grad._indices().nbytes if sparse else grad.nbytes
    )
    return {"seconds": float(np.median(times[1:])), "gradient_bytes": int(grad_bytes)}


def _tf_step(vocab: int, sparse: bool, ids, repeats: int) -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    table = tf.Variable(tf.random.stateless_normal((vocab, 64), seed=(0, 0)))
    opt = tf.keras.optimizers.Adam(1e-3)
    ids = tf.constant(ids)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.gather(table, ids) ** 2)
        grad = tape.gradient(loss, table)
        if not sparse:
            grad = tf.convert_to_tensor(grad)
        opt.apply_gradients([(grad, table)])
        return grad

    grad = step()  # trace and allocate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    if isinstance(grad, tf.IndexedSlices):
        grad_bytes = grad.values.numpy().nbytes + grad.indices.numpy().nbytes
    else:
        grad_bytes = grad.numpy().nbytes
    return {"seconds": float(np.median(times)), "gradient_bytes": int(grad_bytes)}


def sparse_vs_dense(
    vocab_sizes=(10_000, 100_000, 1_000_000), *, quick: bool = True
) -> dict:
    """Time per optimizer step and gradient size, dense against sparse, PyTorch and TensorFlow."""
    repeats = 3 if quick else 10
    ids = np.random.default_rng(0).integers(1, min(vocab_sizes), size=(32, 64))
    rows = []
    for vocab in vocab_sizes:
        for framework, run in (("PyTorch", _torch_step), ("TensorFlow", _tf_step)):
            for sparse in (False, True):
                result = run(vocab, sparse, ids, repeats)
                label = {("PyTorch", False): "dense Adam", ("PyTorch", True): "sparse=True + SparseAdam",
                         ("TensorFlow", False): "densified + Adam",
                         ("TensorFlow", True): "IndexedSlices + Adam"}[(framework, sparse)]  # fmt: skip
                rows.append({"vocabulary": vocab, "framework": framework, "gradient": label,
                             "sparse": sparse, **result})  # fmt: skip
    return {"quick": quick, "batch": [32, 64], "dim": 64, "rows": rows}


# --- scale: every sampler and pack against np.argsort on the same lengths -------------------------

SCALE_METHODS = {
    "bucket_batches": lambda ls: B.bucket_batches(ls, 32, seed=0),
    "token_budget_batches": lambda ls: B.token_budget_batches(ls, 4096, seed=0),
    "pack": lambda ls: B.pack(ls, 2048),
    "random_batches": lambda ls: B.random_batches(ls, 32, seed=0),
    "AllenNLP": lambda ls: B.allennlp_bucket_batches(ls, 32, seed=0),
    "Hugging Face": lambda ls: B.hf_megabatch_batches(ls, 32, seed=0),
    "torchtext": lambda ls: B.torchtext_pool_batches(ls, 32, seed=0),
    "fairseq": lambda ls: B.fairseq_max_tokens_batches(ls, 4096, seed=0),
    "tf.data (numpy)": lambda ls: B.tf_bucket_batches(ls, 32, seed=0),
}
"""What the scale benchmark times: batch 32, a budget of 4,096 slots, rows of 2,048."""

SCALE_TARGETS = {"bucket_batches": 4.0, "token_budget_batches": 6.0, "pack": 20.0}
"""Time at n = 10⁷ as a multiple of ``np.argsort`` on the same lengths (issue 12)."""


def scale_lengths(n: int, seed: int = 0) -> np.ndarray:
    """``n`` lognormal token counts (median 20, σ = 1), between 1 and 2,048."""
    rng = np.random.default_rng(seed)
    return np.clip(np.round(rng.lognormal(np.log(20), 1.0, n)), 1, 2048).astype(
        np.int64
    )


def scale(ns=(10_000, 100_000, 1_000_000, 10_000_000), repeats: int = 3) -> dict:
    """Seconds per call of every sampler and ``pack`` against ``np.argsort``, at each ``n``.

    The same lengths for every method at one ``n``; the fastest of
    ``repeats`` rounds over all methods (two at 10⁷ and above). ``pack`` also
    records its rows against the bound ``ceil(tokens / 2048)``.
    """
    rows = []
    methods = {"np.argsort": np.argsort, **SCALE_METHODS}
    for n in ns:
        lengths = scale_lengths(int(n))
        times: dict[str, list[float]] = {name: [] for name in methods}
        extra: dict[str, int] = {}
        # Rounds over every method, so that a busy moment slows all of them alike.
        for _ in range(repeats if n < 10_000_000 else 2):
            for name, method in methods.items():
                start = time.perf_counter()
                out = method(lengths)
                times[name].append(time.perf_counter() - start)
                if name == "pack":
                    extra = {"rows": len(out.rows),
                             "bound": -(-int(lengths.sum()) // out.capacity)}  # fmt: skip
                del out
        for name in methods:
            row = {"n": int(n), "method": name, "seconds": min(times[name]),
                   "all_seconds": times[name]}  # fmt: skip
            rows.append({**row, **(extra if name == "pack" else {})})
    base = {r["n"]: r["seconds"] for r in rows if r["method"] == "np.argsort"}
    for r in rows:
        r["ratio"] = r["seconds"] / base[r["n"]]
    return {"ns": [int(n) for n in ns], "batch_size": 32, "max_tokens": 4096,
            "capacity": 2048, "lengths": "lognormal, median 20, sigma 1, clipped to [1, 2048]",
            "targets": SCALE_TARGETS, "rows": rows, "exponents": scale_exponents(rows)}  # fmt: skip


def scale_exponents(rows: list[dict]) -> dict[str, float]:
    """Growth exponent of each method: the slope of log(seconds) against log(n), n ≥ 10⁵."""
    out = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        points = [(r["n"], r["seconds"]) for r in rows
                  if r["method"] == method and r["n"] >= 100_000]  # fmt: skip
        if len(points) >= 2:
            x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            out[method] = float(np.polyfit(x, y, 1)[0])
    return out


def scale_table(result: dict):
    """Seconds and multiple of ``np.argsort`` per method (rows) and ``n`` (columns)."""
    import pandas as pd

    frame = pd.DataFrame(result["rows"])
    seconds = frame.pivot(index="method", columns="n", values="seconds")
    ratio = frame.pivot(index="method", columns="n", values="ratio")
    order = ["np.argsort", *SCALE_METHODS]
    table = pd.concat({"seconds": seconds, "× argsort": ratio}, axis=1).loc[order]
    table["growth exponent"] = pd.Series(result["exponents"])
    return table.round(3)


def scale_summary(result: dict) -> dict:
    """What the chapter says about the scale run: ratios at the largest n, targets, pack's rows."""
    largest = max(result["ns"])
    at = {r["method"]: r for r in result["rows"] if r["n"] == largest}
    out = {"scale_n": f"{largest:,}", "scale_argsort": at["np.argsort"]["seconds"]}
    for method, key in (("bucket_batches", "bucket"), ("token_budget_batches", "budget"),
                        ("pack", "pack")):  # fmt: skip
        out[f"scale_{key}_ratio"] = at[method]["ratio"]
        out[f"scale_{key}_target"] = result["targets"][method]
        out[f"scale_{key}_exponent"] = result["exponents"].get(method, float("nan"))
    out["scale_pack_extra"] = at["pack"]["rows"] - at["pack"]["bound"]
    meta = result.get("provenance", {})
    if meta:
        out["scale_meta"] = (f"{meta['command']} on {meta['machine']['processor']}, "
                             f"{meta['machine']['cpus']} CPUs, {meta['date']}")  # fmt: skip
    out["scale_targets_met"] = (
        "meets" if all(at[m]["ratio"] <= t for m, t in result["targets"].items())
        else "misses"
    )  # fmt: skip
    return out


# --- the cost of the recipes: each against the bare expression it replaces ----------------------


def _recipe_pairs(batch: int, time_: int, features: int, dtype):
    """(recipe call, bare call) per recipe, on one padded batch of the given size."""
    import torch
    import torch.nn.functional as F

    import padguide.torch as pt

    gen = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, time_ + 1, (batch,), generator=gen)
    lengths[0] = time_
    mask = torch.arange(time_)[None, :] < lengths[:, None]
    x = torch.randn(batch, time_, features, generator=gen).to(dtype)
    scores = torch.randn(batch, time_, time_, generator=gen).to(dtype)
    targets = torch.where(
        mask, torch.randint(0, features, mask.shape, generator=gen), 0
    )
    m = mask[..., None].to(dtype)

    def left_bare(x, lengths):
        index = torch.arange(time_)[None, :] + lengths[:, None]
        index = torch.where(index >= time_, index - time_, index)
        return torch.gather(x, 1, index[..., None].expand(-1, -1, x.shape[2]))

    return {
        "masked_sum": (lambda: pt.masked_sum(x, mask), lambda: (x * m).sum(1)),
        "masked_mean": (lambda: pt.masked_mean(x, mask), lambda: (x * m).sum(1) / m.sum(1)),
        "masked_max": (lambda: pt.masked_max(x, mask),
                       lambda: x.masked_fill(~mask[..., None], float("-inf")).amax(1)),
        "masked_softmax": (lambda: pt.masked_softmax(scores, mask),
                           lambda: scores.masked_fill(~mask[:, None, :], float("-inf")).softmax(-1)),
        "masked_cross_entropy": (
            lambda: pt.masked_cross_entropy(x, targets, mask),
            lambda: F.cross_entropy(x.flatten(0, 1), torch.where(mask, targets, -100).flatten())),
        "lengths_to_mask": (lambda: pt.lengths_to_mask(lengths, max_len=time_),
                            lambda: torch.arange(time_)[None, :] < lengths[:, None]),
        "mask_to_lengths": (lambda: pt.mask_to_lengths(mask), lambda: mask.sum(1)),
        "to_left_padding": (lambda: pt.to_left_padding(x, lengths), lambda: left_bare(x, lengths)),
    }  # fmt: skip


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm up (and, compiled, compile)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def recipe_cost(*, quick: bool = True, repeats: int | None = None) -> dict:
    """Each PyTorch recipe against the bare expression it replaces, eager and compiled, on the CPU.

    Sizes: batch 64, time 512, features 768 (``quick``: 8, 64, 32), float32 and
    bfloat16. Median seconds per call of each, measured alternately so that a
    busy moment slows both alike; ``torch.compile(fullgraph=True)`` for the
    compiled pair (no graph break, or the compile fails).
    """
    import torch

    batch, time_, features = (8, 64, 32) if quick else (64, 512, 768)
    repeats = repeats or (5 if quick else 15)
    rows = []
    for dtype in (torch.float32, torch.bfloat16):
        pairs = _recipe_pairs(batch, time_, features, dtype)
        for name, (recipe, bare) in pairs.items():
            for mode in ("eager", "compiled"):
                run_recipe, run_bare = recipe, bare
                if mode == "compiled":
                    torch._dynamo.reset()
                    run_recipe = torch.compile(recipe, fullgraph=True)
                    run_bare = torch.compile(bare, fullgraph=True)
                # Alternate the two, three rounds, and keep each one's best median.
                got = {"recipe": [], "bare": []}
                for _ in range(3):
                    got["recipe"].append(_median_seconds(run_recipe, repeats))
                    got["bare"].append(_median_seconds(run_bare, repeats))
                rec, bar = min(got["recipe"]), min(got["bare"])
                rows.append({"recipe": name, "dtype": str(dtype).removeprefix("torch."),
                             "mode": mode, "recipe_ms": 1000 * rec, "bare_ms": 1000 * bar,
                             "overhead_pct": 100 * (rec / bar - 1)})  # fmt: skip
    return {
        "quick": quick,
        "size": {"batch": batch, "time": time_, "features": features},
        "threads": torch.get_num_threads(),
        "target_eager_overhead_pct": 10,
        "rows": rows,
    }


def recipe_cost_table(result: dict):
    """Milliseconds per call, recipe against bare expression, and the overhead in %."""
    import pandas as pd

    frame = pd.DataFrame(result["rows"])
    table = frame.pivot_table(
        index=["recipe", "dtype"], columns="mode",
        values=["recipe_ms", "bare_ms", "overhead_pct"], sort=False,
    )  # fmt: skip
    table = table.reindex(columns=["eager", "compiled"], level=1)
    names = {
        "recipe_ms": "recipe ms",
        "bare_ms": "bare ms",
        "overhead_pct": "overhead %",
    }
    table.columns = [f"{mode}: {names[v]}" for v, mode in table.columns]
    order = [f"{mode}: {what}" for mode in ("eager", "compiled") for what in ("recipe ms", "bare ms", "overhead %")]  # fmt: skip
    return table[order].round(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m padguide.bench", description=__doc__
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, one repeat (CI)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench-results"), help="output folder"
    )
    parser.add_argument(
        "--only", action="append", help="run only this measurement (repeatable)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        help="timed epochs per training-step method (default: 1 with --quick, else 3)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = provenance(["python", "-m", "padguide.bench", *(argv or sys.argv[1:])])
    jobs = {
        "training-step-lstm": lambda: training_step(
            "lstm", quick=args.quick, repeats=args.repeats
        ),
        "training-step-transformer": lambda: training_step(
            "transformer", quick=args.quick, repeats=args.repeats
        ),
        "sparse-vs-dense": lambda: sparse_vs_dense(
            (10_000, 100_000) if args.quick else (10_000, 100_000, 1_000_000),
            quick=args.quick,
        ),
        "scale": lambda: scale(
            (10_000, 100_000)
            if args.quick
            else (10_000, 100_000, 1_000_000, 10_000_000)
        ),
        "recipe-cost": lambda: recipe_cost(quick=args.quick),
    }
    unknown = set(args.only or ()) - set(jobs)
    if unknown:
        parser.error(f"--only takes {sorted(jobs)}, got {sorted(unknown)}")
    for name, job in jobs.items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        result = job()
        result["provenance"] = meta
        result["wall_seconds"] = time.perf_counter() - start
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(f"{path}: {result['wall_seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# --- tables for the book ---------------------------------------------------------------------


def training_table(result: dict):
    """A training-step result as a table: one row per batching method."""
    import pandas as pd

    rows = {
        method: {
            "steps": r["steps"],
            "padding efficiency": r["efficiency"],
            "real tokens / s": r["tokens_per_second"],
            "speed-up vs random": r["speedup"],
            "limit (1 / efficiency)": r["limit"],
        }
        for method, r in result["methods"].items()
    }
    table = pd.DataFrame(rows).T
    table["steps"] = table["steps"].astype(int)
    table["real tokens / s"] = table["real tokens / s"].round(0).astype(int)
    return table.round(2)


def training_summary(result: dict) -> dict:
    """What the chapter says about a training-step result, computed from it.

    The fastest method against its limit; bucket order against random order
    at an equal token budget; ``pack_padded_sequence`` against padding.
    """
    methods = result["methods"]
    best = max(methods, key=lambda m: methods[m]["speedup"])
    bucket, random = methods["budget, bucket order"], methods["budget, random order"]
    packed = methods.get("random, pack_padded_sequence", {}).get("speedup")
    return {
        "best_method": best,
        "best_speedup": methods[best]["speedup"],
        "best_limit": methods[best]["limit"],
        "best_share": 100 * methods[best]["speedup"] / methods[best]["limit"],
        "budget_speedup": bucket["tokens_per_second"] / random["tokens_per_second"],
        "budget_limit": bucket["efficiency"] / random["efficiency"],
        "pps_speedup": packed,
        "pps_verdict": None
        if packed is None
        else ("slower than padding" if packed < 1 else "faster than padding"),
    }


def padfree_summary(result: dict) -> dict:
    """What the padding-free chapter says about a training-step result, computed from it.

    The fastest padding-free method (:data:`PADDING_FREE`) against its limit
    (1 / efficiency over random padded batches), whether it reaches
    :data:`PADFREE_TARGET` of that limit, and how it compares with
    bucket-padded batches.
    """
    methods = result["methods"]
    free = [m for m in PADDING_FREE[result["kind"]] if m in methods]
    if not free:
        raise ValueError(f"no padding-free method in this {result['kind']} result")
    best = max(free, key=lambda m: methods[m]["speedup"])
    share = methods[best]["speedup"] / methods[best]["limit"]
    bucket = methods["bucket, padded"]
    return {
        "method": best,
        "speedup": methods[best]["speedup"],
        "limit": methods[best]["limit"],
        "share": 100 * share,
        "target": 100 * PADFREE_TARGET,
        "meets_target": "reaches" if share >= PADFREE_TARGET else "falls short of",
        "bucket_speedup": bucket["speedup"],
        "vs_bucket": methods[best]["tokens_per_second"] / bucket["tokens_per_second"],
        "beats_bucket": "faster"
        if methods[best]["speedup"] > bucket["speedup"]
        else "slower",
    }


def padfree_table(result: dict):
    """The padding-free methods beside random and bucketed padding: one row per method."""
    table = training_table(result)
    shown = ["random, padded", "bucket, padded", *PADDING_FREE[result["kind"]]]
    if result["kind"] == "transformer":
        shown.insert(2, "packed rows, block-diagonal mask")
    table = table.loc[[m for m in shown if m in table.index]]
    table["share of limit"] = (
        table["speed-up vs random"] / table["limit (1 / efficiency)"]
    ).round(2)
    return table


def sparse_table(result: dict):
    """The dense-against-sparse result as a table: milliseconds per step and gradient size."""
    import pandas as pd

    frame = pd.DataFrame(result["rows"])
    frame["ms / step"] = (frame["seconds"] * 1000).round(2)
    frame["gradient MB"] = (frame["gradient_bytes"] / 1e6).round(2)
    table = frame.pivot_table(
        index=["framework", "gradient"],
        columns="vocabulary",
        values=["ms / step", "gradient MB"],
    )
    return table


def crossover(result: dict, framework: str) -> int | None:
    """The smallest vocabulary at which the sparse gradient's step was faster, if any."""
    rows = [r for r in result["rows"] if r["framework"] == framework]
    for vocab in sorted({r["vocabulary"] for r in rows}):
        at = {r["sparse"]: r["seconds"] for r in rows if r["vocabulary"] == vocab}
        if at[True] < at[False]:
            return vocab
    return None
