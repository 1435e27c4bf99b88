"""Padding-free attention in PyTorch: jagged nested tensors, flex_attention, packed rows.

One small seeded Transformer layer runs the same speeches five ways: each
sequence alone (the reference), a padded batch with a key-padding mask, a
jagged batch (``torch.nested`` with ``layout=torch.jagged``) through
``scaled_dot_product_attention``, packed rows from :func:`padguide.batching.pack`
with restarting position ids and per-sequence attention over the rows'
``cu_seqlens``, and the same rows through ``flex_attention`` with a document
mask (compiled; forward only, because flex_attention has no backward on the
CPU). The controls drop one cause at a time: a packed row attended as a whole,
position ids that run on across the row, next-token labels shifted along the
whole row. Results are plain numpy.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from padguide import batching as B

__all__ = [
    "DIM",
    "HEADS",
    "Run",
    "boundary_loss",
    "compare",
    "flex_backward_on_cpu",
    "flex_document",
    "packing_for",
    "quiet",
    "speeches",
    "table",
]

SEED = 0
DIM, HEADS, FFN = 32, 4, 64
"""The layer's width, heads and feed-forward width (small: every check runs on the CPU)."""
COUNT = 8
"""How many speeches of the play the experiments batch together."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence what nested tensors and torch.compile write while they work.

    Nested tensors warn that they are a prototype and log an FX tracing notice;
    inductor logs its autotuning. None of it is a result, and a page's cell
    must not write to stderr.
    """
    names = (
        "torch.fx._symbolic_trace",
        "torch._inductor",
        "torch._dynamo",
        "torch.nested",
    )
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@functools.cache
def speeches(count: int = COUNT) -> tuple[list[np.ndarray], int]:
    """The first ``count`` speeches of the play as id arrays, and the vocabulary size."""
    from padguide.corpus import Vocab, tokenize, twelfth_night

    tokens = [tokenize(s.text) for s in twelfth_night()]
    vocab = Vocab.build(tokens)
    return [np.array(vocab.encode(t)) for t in tokens[:count]], len(vocab)


def _model(vocab: int):
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    return nn.ModuleDict(
        {
            "embed": nn.Embedding(vocab, DIM, padding_idx=0),
            "position": nn.Embedding(512, DIM),
            "qkv": nn.Linear(DIM, 3 * DIM),
            "out": nn.Linear(DIM, DIM),
            "norm1": nn.LayerNorm(DIM),
            "ff1": nn.Linear(DIM, FFN),
            "ff2": nn.Linear(FFN, DIM),
            "norm2": nn.LayerNorm(DIM),
            "head": nn.Linear(DIM, vocab),
        }
    )


def _forward(model, ids, positions, attend: Callable):
    """Logits of one encoder layer; ``attend`` maps q, k, v of shape ``(*ids.shape, heads, dim)``.

    Every other operation acts on each token alone, so the shape of ``ids``
    (a padded batch, one flat row of real tokens) changes nothing but attention.
    """
    import torch

    h = model["embed"](ids) + model["position"](positions)
    q, k, v = model["qkv"](h).unflatten(-1, (3, HEADS, DIM // HEADS)).unbind(-3)
    h = model["norm1"](h + model["out"](attend(q, k, v).flatten(-2)))
    h = model["norm2"](h + model["ff2"](torch.relu(model["ff1"](h))))
    return model["head"](h)


# --- ways to attend ---------------------------------------------------------------------------


def padded_attention(real):
    """Attention over a padded ``(batch, time)`` batch; keys at padding are masked out."""
    import torch.nn.functional as F

    def attend(q, k, v):
        mask = real[:, None, None, :]
        q, k, v = (x.transpose(1, 2) for x in (q, k, v))
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2)

    return attend


def jagged_attention(offsets):
    """Attention over a flat run of sequences, given as a jagged nested tensor."""
    import torch
    import torch.nn.functional as F

    def attend(q, k, v):
        q, k, v = (
            torch.nested.nested_tensor_from_jagged(x.contiguous(), offsets).transpose(
                1, 2
            )
            for x in (q, k, v)
        )
        return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).values()

    return attend


def segment_attention(sizes: list[int]):
    """Attention over a flat run of sequences, one sequence at a time (what varlen kernels fuse)."""
    import torch
    import torch.nn.functional as F

    def attend(q, k, v):
        parts = zip(q.split(sizes), k.split(sizes), v.split(sizes), strict=True)
        return torch.cat(
            [
                F.scaled_dot_product_attention(
                    *(x.transpose(0, 1) for x in p)
                ).transpose(0, 1)
                for p in parts
            ]
        )

    return attend


def dense_attention(allowed):
    """Attention over one flat row with a ``(tokens, tokens)`` boolean mask (``None``: all)."""
    import torch.nn.functional as F

    def attend(q, k, v):
        q, k, v = (x.transpose(0, 1) for x in (q, k, v))
        return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).transpose(
            0, 1
        )

    return attend


@functools.cache
def _compiled_flex():
    import torch
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False)


def flex_attention_document(segments):
    """Attention over one packed row through compiled ``flex_attention`` with a document mask."""
    import torch
    from torch.nn.attention.flex_attention import create_block_mask

    n = len(segments)

    def same_document(b, h, q_idx, kv_idx):
        return segments[q_idx] == segments[kv_idx]

    block_mask = create_block_mask(same_document, None, None, n, n, device="cpu")

    def attend(q, k, v):
        q, k, v = (x.transpose(0, 1)[None] for x in (q, k, v))
        with torch.no_grad():
            out = _compiled_flex()(q, k, v, block_mask=block_mask)
        return out[0].transpose(0, 1)

    return attend


# --- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One way of batching the same speeches, against each speech run alone.

    ``output_error`` and ``gradient_error`` are the largest absolute differences
    from the per-sequence reference (logits; each sequence's own loss gradient
    with respect to every parameter); ``cross_gradient`` is the largest
    gradient of one sequence's loss with respect to another sequence's input
    embeddings (0 when no attention crosses a boundary).
    """

    name: str
    output_error: float
    gradient_error: float
    cross_gradient: float
    tokens_computed: int


def packing_for(lengths: np.ndarray) -> B.Packing:
    """The packed rows of the experiments: two at least, so rows hold padding."""
    return B.pack(lengths, max(int(lengths.max()), int(lengths.sum()) // 2 + 1))


def _run(model, sequences, name: str, logits_of, reference, tokens_computed) -> Run:  # noqa: PLR0917
    """Per-sequence logits and gradients of one batching, against the reference."""
    import torch

    with quiet():
        inputs, logits = logits_of(model)
        grads_error, cross, out_error = 0.0, 0.0, 0.0
        for i, (ref_logits, ref_grads) in enumerate(reference):
            out_error = max(out_error, float((logits[i] - ref_logits).abs().max()))
            loss = torch.nn.functional.cross_entropy(
                logits[i], torch.as_tensor(sequences[i]), reduction="sum"
            )
            params = list(model.parameters())
            grads = torch.autograd.grad(loss, [*params, *inputs], retain_graph=True)
            for g, r in zip(grads[: len(params)], ref_grads, strict=True):
                grads_error = max(grads_error, float((g - r).abs().max()))
            for j, g in enumerate(grads[len(params) :]):
                if j != i:
                    cross = max(cross, float(g.abs().max()))
    return Run(name, out_error, grads_error, cross, tokens_computed)


def _reference(model, sequences):
    """Each sequence alone: logits and its loss gradient with respect to every parameter."""
    import torch

    out = []
    for seq in sequences:
        ids = torch.as_tensor(seq)
        logits = _forward(
            model, ids, torch.arange(len(seq)), segment_attention([len(seq)])
        )
        loss = torch.nn.functional.cross_entropy(logits, ids, reduction="sum")
        grads = torch.autograd.grad(loss, list(model.parameters()))
        out.append((logits.detach(), grads))
    return out


def _embedded_inputs(model, flat_ids, sizes):
    """Token embeddings of each sequence, plus a zero leaf per sequence that a gradient reaches.

    The gradient of a loss with respect to sequence ``j``'s leaf is its
    gradient with respect to ``j``'s input embeddings; the embedding table
    still gets its own gradient.
    """
    import torch

    leaves = [torch.zeros(n, DIM, requires_grad=True) for n in sizes]
    return leaves, model["embed"](flat_ids) + torch.cat(leaves)


def _forward_from(model, h_tokens, positions, attend):
    """``_forward`` from token embeddings (the leaves) rather than ids."""
    import torch

    h = h_tokens + model["position"](positions)
    q, k, v = model["qkv"](h).unflatten(-1, (3, HEADS, DIM // HEADS)).unbind(-3)
    h = model["norm1"](h + model["out"](attend(q, k, v).flatten(-2)))
    h = model["norm2"](h + model["ff2"](torch.relu(model["ff1"](h))))
    return model["head"](h)


def _packed_rows(packing: B.Packing, sequences):
    """Packed rows as flat tensors: ids, restarting positions, segments, each example's slice."""
    import torch

    ids = np.zeros((len(packing.rows), packing.capacity), dtype=np.int64)
    for i, seq in enumerate(sequences):
        start = packing.offset[i]
        ids[packing.row[i], start : start + len(seq)] = seq
    where = [
        int(packing.row[i]) * packing.capacity + int(packing.offset[i])
        for i in range(len(sequences))
    ]
    return (
        torch.as_tensor(ids),
        torch.as_tensor(packing.position_ids()),
        torch.as_tensor(packing.segment_ids()),
        where,
    )


def compare(*, flex: bool = True, count: int = COUNT) -> dict[str, Run]:
    """Every batching of the same speeches against each speech alone, and the controls.

    Keys: ``padded``, ``jagged``, ``packed, per-sequence attention``,
    ``packed, flex_attention document mask`` (forward only: its
    ``gradient_error`` is NaN), and the controls ``packed, no document mask``
    and ``packed, positions run on``.
    """
    import torch

    sequences, vocab = speeches(count)
    model = _model(vocab)
    lengths = np.array([len(s) for s in sequences])
    sizes = [int(n) for n in lengths]
    flat = torch.as_tensor(np.concatenate(sequences))
    restart = torch.cat([torch.arange(n) for n in sizes])
    reference = _reference(model, sequences)
    runs: dict[str, Run] = {}

    def padded(model):
        ids = torch.as_tensor(B.pad(sequences))
        real = ids != 0
        leaves, tokens = _embedded_inputs(model, flat, sizes)
        h = torch.zeros((*ids.shape, DIM)).index_put(
            real.nonzero(as_tuple=True), tokens
        )
        positions = torch.arange(ids.shape[1]).expand_as(ids)
        logits = _forward_from(model, h, positions, padded_attention(real))
        return leaves, [logits[i, :n] for i, n in enumerate(sizes)]

    def flat_run(attend_of, positions):
        def logits_of(model):
            leaves, tokens = _embedded_inputs(model, flat, sizes)
            return leaves, _forward_from(model, tokens, positions, attend_of()).split(
                sizes
            )

        return logits_of

    offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(lengths)]))
    real_tokens = int(lengths.sum())
    padded_slots = len(sizes) * int(lengths.max())
    runs["padded"] = _run(model, sequences, "padded", padded, reference, padded_slots)
    runs["jagged"] = _run(
        model, sequences, "jagged",
        flat_run(lambda: jagged_attention(offsets), restart), reference, real_tokens,
    )  # fmt: skip

    packing = packing_for(lengths)
    ids, positions, segments, where = _packed_rows(packing, sequences)
    slots = ids.numel()

    def packed_run(attend_of, positions, grad=True):
        def logits_of(model):
            leaves, tokens = _embedded_inputs(model, flat, sizes)
            h = torch.zeros(slots, DIM)
            index = torch.cat(
                [torch.arange(w, w + n) for w, n in zip(where, sizes, strict=True)]
            )
            h = h.index_put((index,), tokens)
            rows = []
            for r in range(len(packing.rows)):
                part = slice(r * packing.capacity, (r + 1) * packing.capacity)
                rows.append(
                    _forward_from(
                        model, h[part], positions.flatten()[part], attend_of(r)
                    )
                )
            logits = torch.cat(rows)
            return leaves, [
                logits[w : w + n] for w, n in zip(where, sizes, strict=True)
            ]

        return logits_of

    def row_sizes(r):
        row_lengths = [int(lengths[i]) for i in packing.rows[r]]
        return [*row_lengths, packing.capacity - sum(row_lengths)] if sum(row_lengths) < packing.capacity else row_lengths  # fmt: skip

    def block_diagonal(r):
        seg = segments[r]
        return (seg[:, None] == seg[None, :]) | (torch.eye(len(seg), dtype=torch.bool))

    runs["packed, per-sequence attention"] = _run(
        model, sequences, "packed, per-sequence attention",
        packed_run(lambda r: segment_attention(row_sizes(r)), positions), reference, slots,
    )  # fmt: skip
    runs["packed, block-diagonal mask"] = _run(
        model, sequences, "packed, block-diagonal mask",
        packed_run(lambda r: dense_attention(block_diagonal(r)), positions), reference, slots,
    )  # fmt: skip
    runs["packed, no document mask"] = _run(
        model, sequences, "packed, no document mask",
        packed_run(lambda r: dense_attention(None), positions), reference, slots,
    )  # fmt: skip
    running = torch.arange(packing.capacity).expand(len(packing.rows), -1)
    runs["packed, positions run on"] = _run(
        model, sequences, "packed, positions run on",
        packed_run(lambda r: segment_attention(row_sizes(r)), running), reference, slots,
    )  # fmt: skip
    if flex:
        runs["packed, flex_attention document mask"] = flex_document(count)
    return runs


def flex_document(count: int = COUNT) -> Run:
    """Packed rows through compiled ``flex_attention`` with a document mask (forward only)."""
    import torch

    sequences, vocab = speeches(count)
    model = _model(vocab)
    lengths = np.array([len(s) for s in sequences])
    packing = packing_for(lengths)
    ids, positions, segments, where = _packed_rows(packing, sequences)
    error = 0.0
    with quiet(), torch.no_grad():
        logits = torch.cat(
            [
                _forward(
                    model, ids[r], positions[r], flex_attention_document(segments[r])
                )
                for r in range(len(packing.rows))
            ]
        )
        for i, seq in enumerate(sequences):
            alone = _forward(
                model,
                torch.as_tensor(seq),
                torch.arange(len(seq)),
                segment_attention([len(seq)]),
            )
            error = max(
                error,
                float((logits[where[i] : where[i] + len(seq)] - alone).abs().max()),
            )
    return Run(
        "packed, flex_attention document mask",
        error,
        float("nan"),
        float("nan"),
        ids.numel(),
    )


def flex_backward_on_cpu() -> str:
    """What ``flex_attention`` says when asked for a gradient on the CPU ('' if it gives one)."""
    import torch
    from torch.nn.attention.flex_attention import flex_attention

    q = torch.randn(1, 1, 8, 4, requires_grad=True)
    try:
        with quiet():
            flex_attention(q, q, q).sum().backward()
    except (NotImplementedError, RuntimeError) as err:
        return f"{type(err).__name__}: {err}"
    return ""


@dataclass(frozen=True)
class BoundaryLoss:
    """Next-token loss over packed rows, against the same loss of each sequence alone."""

    per_sequence: float
    """Summed next-token cross-entropy of each sequence alone, added up."""
    packed: float
    """The packed rows with labels built per sequence (-100 at each sequence's last token)."""
    shifted_row: float
    """The packed rows with labels shifted along the whole row (the control)."""
    targets: int
    """Targets counted per sequence (length - 1 each)."""
    crossing_targets: int
    """Targets the whole-row shift adds: a sequence's last token asked to predict the next one's first."""


def boundary_loss(count: int = COUNT) -> BoundaryLoss:
    """Next-token labels on packed rows, built per sequence and shifted along the row."""
    import torch
    import torch.nn.functional as F

    sequences, vocab = speeches(count)
    model = _model(vocab)
    lengths = np.array([len(s) for s in sequences])
    packing = packing_for(lengths)
    ids, positions, segments, _ = _packed_rows(packing, sequences)
    with quiet(), torch.no_grad():
        alone = 0.0
        for seq in sequences:
            t = torch.as_tensor(seq)
            logits = _forward(
                model, t, torch.arange(len(seq)), segment_attention([len(seq)])
            )
            alone += float(F.cross_entropy(logits[:-1], t[1:], reduction="sum"))
        per_seq, shifted, crossing = 0.0, 0.0, 0
        for r in range(len(packing.rows)):
            seg = segments[r]
            sizes = [int(lengths[i]) for i in packing.rows[r]]
            if sum(sizes) < packing.capacity:
                sizes.append(packing.capacity - sum(sizes))
            logits = _forward(model, ids[r], positions[r], segment_attention(sizes))
            labels = ids[r].roll(-1)
            # A target is one sequence's next token: same segment, and a real token.
            own = (seg == seg.roll(-1)) & (seg >= 0)
            own[-1] = False
            per_seq += float(
                F.cross_entropy(logits, labels.where(own, -100), reduction="sum")
            )
            # The control: the row read as one sequence (its padding still ignored).
            whole = (seg >= 0) & (seg.roll(-1) >= 0)
            whole[-1] = False
            shifted += float(
                F.cross_entropy(logits, labels.where(whole, -100), reduction="sum")
            )
            crossing += int((whole & ~own).sum())
    return BoundaryLoss(alone, per_seq, shifted, int((lengths - 1).sum()), crossing)


ROW_LABELS = {
    "padded": "padded batch, key-padding mask",
    "jagged": "jagged nested tensor + SDPA",
    "packed, per-sequence attention": "packed rows, per-sequence attention",
    "packed, block-diagonal mask": "packed rows, block-diagonal mask",
    "packed, flex_attention document mask": "packed rows, flex_attention document mask",
    "packed, no document mask": "control: packed rows, no document mask",
    "packed, positions run on": "control: packed rows, positions run on",
}
"""How the page's table labels each run."""


def table(runs: dict[str, Run]):
    """The runs as a table, rows labelled by method, controls last."""
    import pandas as pd

    rows = {
        ROW_LABELS[name]: {
            "token slots computed": run.tokens_computed,
            "largest output difference": run.output_error,
            "largest gradient difference": run.gradient_error,
            "largest gradient into another sequence": run.cross_gradient,
        }
        for name, run in sorted(runs.items(), key=lambda kv: kv[0] in CONTROLS)
    }
    frame = pd.DataFrame(rows).T
    frame["token slots computed"] = frame["token slots computed"].astype(int)
    for column in frame.columns[1:]:  # "—": flex_attention gives no gradient on the CPU
        frame[column] = [("—" if np.isnan(x) else f"{x:.1e}") for x in frame[column]]
    return frame


CONTROLS = ("packed, no document mask", "packed, positions run on")
"""The runs that drop one cause each."""
