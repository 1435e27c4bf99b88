"""PyTorch experiments: ``nn.Embedding(padding_idx=...)`` and its relatives, run and measured.

Seeded, and returning numpy data (see :mod:`padguide.results`), never tensors,
so that pages, claims and tests read the same thing. The claims about them are
in ``padguide.claims.torch``; the recipes they use are :mod:`padguide.torch`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from padguide.example import CLASSIC_IDS
from padguide.results import EmbeddingRun, check_ids
from padguide.torch import masked_softmax, sdpa_mask

__all__ = [
    "OPTIMIZERS",
    "BagRun",
    "MaxNormRun",
    "OptimizerDrift",
    "PadVectorRun",
    "PretrainedRun",
    "SparseRun",
    "adam_laziness",
    "all_padded_query",
    "bag_vs_mean",
    "batched_generation",
    "custom_pad_vector",
    "drift_table",
    "embedding_run",
    "from_pretrained_run",
    "functional_run",
    "half_precision_fill",
    "leaks_across_padding",
    "max_norm_run",
    "micro_batch_means",
    "optimizer_drift",
    "packed_lstm",
    "pad_row_drift",
    "padded_attention",
    "padding_invariance",
    "polarity_torch",
    "scale_grad_by_freq_run",
    "sdpa_all_masked_row",
    "seed_experiment",
    "sparse_run",
    "tied_weights_run",
    "twelfth_night_experiment",
]


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def embedding_run(
    ids: np.ndarray,
    tokens: list[str],
    dim: int = 1,
    *,
    seed: int = 0,
    weight: np.ndarray | None = None,
    padding_idx: int | None = 0,
) -> EmbeddingRun:
    """``nn.Embedding(padding_idx)`` → ``nn.Linear(dim, 1)`` → random weight per position → sum.

    ``weight`` replaces the embedding's initial weights (as given, pad row
    included) so that another framework can start from the same numbers.
    The linear layer's weights and the position weights come from ``seed``.
    """
    ids = check_ids(ids, tokens)
    gen = torch.Generator().manual_seed(seed)
    emb = nn.Embedding(len(tokens), dim, padding_idx=padding_idx)
    with torch.no_grad():
        if weight is None:
            emb.weight.normal_(generator=gen)
            if padding_idx is not None:
                emb.weight[padding_idx] = 0  # what reset_parameters() does
        else:
            emb.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
    linear = nn.Linear(dim, 1)
    with torch.no_grad():
        linear.weight.copy_(torch.randn(1, dim, generator=gen))
        linear.bias.copy_(torch.randn(1, generator=gen))
    position_weights = torch.randn(ids.shape, generator=gen)

    weight_before = _np(emb.weight)
    outputs = linear(emb(torch.as_tensor(ids))).squeeze(-1)
    loss = (outputs * position_weights).sum()
    loss.backward()
    return EmbeddingRun(
        framework=f"PyTorch {torch.__version__}",
        ids=ids,
        tokens=list(tokens),
        weight=weight_before,
        outputs=_np(outputs),
        position_weights=_np(position_weights),
        loss=float(loss.detach()),
        gradient=_np(emb.weight.grad),
        notes={
            "linear_weight": _np(linear.weight),
            "linear_bias": _np(linear.bias),
            "gradient_type": "dense torch.Tensor"
            if emb.weight.grad.layout == torch.strided
            else f"torch.Tensor ({emb.weight.grad.layout})",
        },
        pad_id=0 if padding_idx is None else emb.padding_idx,
    )


def seed_experiment(seed: int = 0) -> EmbeddingRun:
    """The classic demonstration: ids ``[[1,1,2,6,0],[1,5,5,0,0]]``, a 1-d embedding."""
    tokens = ["<pad>", *(f"id{i}" for i in range(1, 7))]
    return embedding_run(CLASSIC_IDS, tokens, dim=1, seed=seed)


def twelfth_night_experiment(seed: int = 0, dim: int = 4) -> EmbeddingRun:
    """The same model on the running example from Act 2, Scene 4."""
    from padguide.example import running_example

    example = running_example()
    return embedding_run(example.ids, example.vocab.tokens, dim=dim, seed=seed)


@dataclass(frozen=True)
class PadVectorRun:
    pad_row_before: np.ndarray
    output_at_pad: np.ndarray
    pad_row_after: np.ndarray
    pad_gradient: np.ndarray
    steps: int


def custom_pad_vector(
    value: float = 0.5,
    steps: int = 5,
    lr: float = 0.1,
    seed: int = 0,
    padding_idx: int | None = 0,
) -> PadVectorRun:
    """Write a non-zero pad vector, train with plain SGD, and watch it stay put.

    ``padding_idx=None`` is the control: the same row, an ordinary one.
    """
    torch.manual_seed(seed)
    emb = nn.Embedding(7, 3, padding_idx=padding_idx)
    with torch.no_grad():
        emb.weight[0] = value
    before = _np(emb.weight[0])
    opt = torch.optim.SGD(emb.parameters(), lr=lr)
    ids = torch.as_tensor(CLASSIC_IDS)
    out = emb(ids)
    output_at_pad = _np(out[ids == 0][0])
    for _ in range(steps):
        opt.zero_grad()
        (emb(ids) ** 2).sum().backward()
        opt.step()
    return PadVectorRun(
        before, output_at_pad, _np(emb.weight[0]), _np(emb.weight.grad[0]), steps
    )


@dataclass(frozen=True)
class PretrainedRun:
    pretrained_pad_row: np.ndarray
    pad_row: np.ndarray
    output_at_pad: np.ndarray
    pad_gradient: np.ndarray
    other_gradient_norm: float


def from_pretrained_run(seed: int = 0, padding_idx: int | None = 0) -> PretrainedRun:
    """``nn.Embedding.from_pretrained(w, padding_idx=0, freeze=False)`` with a non-zero ``w[0]``."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(7, 3, generator=gen)
    emb = nn.Embedding.from_pretrained(w.clone(), padding_idx=padding_idx, freeze=False)
    ids = torch.as_tensor(CLASSIC_IDS)
    out = emb(ids)
    out.sum().backward()
    return PretrainedRun(
        _np(w[0]),
        _np(emb.weight[0]),
        _np(out[ids == 0][0]),
        _np(emb.weight.grad[0]),
        float(emb.weight.grad[1:].norm()),
    )


def functional_run(seed: int = 0, padding_idx: int | None = 0) -> PretrainedRun:
    """``F.embedding(ids, w, padding_idx=0)``: no row is zeroed; the pad row gets no gradient."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(7, 3, generator=gen).requires_grad_()
    ids = torch.as_tensor(CLASSIC_IDS)
    out = F.embedding(ids, w, padding_idx=padding_idx)
    out.sum().backward()
    return PretrainedRun(
        _np(w[0]),
        _np(w[0]),
        _np(out[ids == 0][0]),
        _np(w.grad[0]),
        float(w.grad[1:].norm()),
    )


@dataclass(frozen=True)
class MaxNormRun:
    norms_before: np.ndarray
    norms_after: np.ndarray
    looked_up: list[int]
    same_storage: bool
    version_bumped: bool


def max_norm_run(max_norm: float = 1.0, seed: int = 0) -> MaxNormRun:
    """A lookup with ``max_norm`` rescales, in place, only the rows it looked up."""
    torch.manual_seed(seed)
    emb = nn.Embedding(6, 3, padding_idx=0, max_norm=max_norm)
    with torch.no_grad():
        emb.weight.mul_(3.0)  # every row well over the limit
    before = _np(emb.weight.norm(dim=1))
    ptr, version = emb.weight.data_ptr(), emb.weight._version
    looked_up = [1, 2, 0]
    emb(torch.tensor(looked_up))
    return MaxNormRun(
        before,
        _np(emb.weight.norm(dim=1)),
        looked_up,
        emb.weight.data_ptr() == ptr,
        emb.weight._version > version,
    )


def scale_grad_by_freq_run(ids: tuple[int, ...] = (1, 1, 2)) -> dict[str, np.ndarray]:
    """The gradient of ``emb(ids).sum()`` with and without ``scale_grad_by_freq``."""
    grads = {}
    for scaled in (False, True):
        emb = nn.Embedding(4, 1, padding_idx=0, scale_grad_by_freq=scaled)
        emb(torch.tensor(ids)).sum().backward()
        grads["scaled" if scaled else "plain"] = _np(emb.weight.grad[:, 0])
    return grads


@dataclass(frozen=True)
class SparseRun:
    layout: str
    coalesced: bool
    indices: np.ndarray
    dense_from_sparse: np.ndarray
    dense: np.ndarray
    scale_grad_forward_error: str
    """What the forward pass of ``sparse=True, scale_grad_by_freq=True`` raised ("" if nothing)."""
    scale_grad_error: str
    """What its backward pass raised."""
    scale_grad_dense_error: str
    """What backward raised with ``scale_grad_by_freq=True`` alone (the control)."""
    adam_error: str


def _error_of(fn) -> str:
    try:
        fn()
    except (RuntimeError, ValueError) as err:
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return ""


def sparse_run(seed: int = 0) -> SparseRun:
    """``sparse=True`` on the classic ids: the gradient as PyTorch hands it back."""
    torch.manual_seed(seed)
    ids = torch.as_tensor(CLASSIC_IDS)
    sparse = nn.Embedding(7, 2, padding_idx=0, sparse=True)
    dense = nn.Embedding(7, 2, padding_idx=0)
    dense.load_state_dict(sparse.state_dict())
    sparse(ids).sum().backward()
    dense(ids).sum().backward()
    grad = sparse.weight.grad

    phases = {}
    for is_sparse in (True, False):
        emb = nn.Embedding(
            7, 2, padding_idx=0, sparse=is_sparse, scale_grad_by_freq=True
        )
        out = []
        phases[is_sparse, "forward"] = _error_of(lambda e=emb, o=out: o.append(e(ids)))
        phases[is_sparse, "backward"] = (
            _error_of(lambda o=out: o[0].sum().backward()) if out else "(no forward)"
        )

    def adam_on_sparse():
        torch.optim.Adam(sparse.parameters()).step()

    return SparseRun(
        layout=str(grad.layout).removeprefix("torch."),
        coalesced=grad.is_coalesced(),
        indices=_np(grad._indices()[0]),
        dense_from_sparse=_np(grad.coalesce().to_dense()),
        dense=_np(dense.weight.grad),
        scale_grad_forward_error=phases[True, "forward"],
        scale_grad_error=phases[True, "backward"],
        scale_grad_dense_error=phases[False, "backward"],
        adam_error=_error_of(adam_on_sparse),
    )


@dataclass(frozen=True)
class OptimizerDrift:
    """How far the pad row moves in a few steps of one optimizer."""

    optimizer: str
    zero_pad_row_moved: float
    """Largest change of a pad row that started at zero."""
    nonzero_pad_row_moved: float
    """Largest change of a pad row that started non-zero (e.g. pretrained)."""
    nonzero_pad_row_after: float
    """The value the non-zero pad row (all entries 0.5 at the start) holds after the steps."""
    absent_row_moved: float
    """Largest change of a row absent from every batch."""


OPTIMIZERS = {
    "SGD": lambda p: torch.optim.SGD(p, lr=0.1),
    "SGD(weight_decay=0.1)": lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1),
    "Adam": lambda p: torch.optim.Adam(p, lr=0.1),
    "Adam(weight_decay=0.1)": lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.1),
    "Adam(weight_decay=1e-6)": lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=1e-6),
    "AdamW(weight_decay=0.1)": lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1),
}
"""The optimizers the book compares, by the name it shows."""


def optimizer_drift(name: str, steps: int = 5, seed: int = 0) -> OptimizerDrift:
    """Train on the classic ids (id 3 and 4 never occur) and measure the pad row's drift."""
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    moved, after = [], []
    for pad_value in (0.0, 0.5):
        torch.manual_seed(seed)
        emb = nn.Embedding(7, 3, padding_idx=0)
        with torch.no_grad():
            emb.weight[0] = pad_value
        start = emb.weight.detach().clone()
        opt = OPTIMIZERS[name](emb.parameters())
        for _ in range(steps):
            opt.zero_grad()
            (emb(torch.as_tensor(CLASSIC_IDS)) ** 2).sum().backward()
            opt.step()
        moved.append((emb.weight.detach() - start).abs().amax(dim=1))
        after.append(float(emb.weight.detach()[0].abs().max()))
    return OptimizerDrift(
        name, float(moved[0][0]), float(moved[1][0]), after[1], float(moved[0][3])
    )


def drift_table(steps: int = 5, seed: int = 0):
    """:func:`optimizer_drift` for every optimizer in :data:`OPTIMIZERS`, as a table."""
    import pandas as pd

    drifts = [optimizer_drift(name, steps, seed) for name in OPTIMIZERS]
    table = pd.DataFrame(
        {
            "pad row from zero": [d.zero_pad_row_moved for d in drifts],
            "pad row from non-zero": [d.nonzero_pad_row_moved for d in drifts],
            "row absent from batch": [d.absent_row_moved for d in drifts],
        },
        index=[d.optimizer for d in drifts],
    )
    return table.round(4)


def tied_weights_run(seed: int = 0, tied: bool = True) -> np.ndarray:
    """A language-model head tied to the embedding: the pad row's gradient, after one backward.

    ``tied=False`` is the control: the same model with a head of its own.
    """
    torch.manual_seed(seed)
    emb = nn.Embedding(7, 3, padding_idx=0)
    head = nn.Linear(3, 7, bias=False)
    if tied:
        head.weight = emb.weight  # weight tying, as in many language models
    ids = torch.as_tensor(CLASSIC_IDS)
    logits = head(emb(ids))
    F.cross_entropy(logits.flatten(0, 1), ids.flatten(), ignore_index=0).backward()
    return _np(emb.weight.grad[0])


@dataclass(frozen=True)
class BagRun:
    bag_mean: np.ndarray
    mean_of_real_rows: np.ndarray
    embedding_then_mean: np.ndarray
    sum_over_padded_length: np.ndarray
    """Every position's row summed, divided by the padded length (the control for the mean)."""
    pad_row: np.ndarray
    """Row 0 of the tables, written non-zero (as a pretrained table may hold it)."""
    all_pad_bag: np.ndarray
    all_pad_embedding_mean: np.ndarray
    """``Embedding`` then ``.mean(1)`` on the all-pad bag, i.e. the pad row (its control)."""
    pad_weights: np.ndarray
    weighted_sum: np.ndarray
    sum_of_real_rows: np.ndarray
    weighted_sum_with_pads: np.ndarray
    """Every row times its weight, pad positions included (the control for the weights)."""


def bag_vs_mean(seed: int = 0, pad_value: float = 0.5) -> BagRun:
    """``EmbeddingBag(padding_idx=0)`` skips the pad positions; ``Embedding`` then ``mean`` does not.

    Row 0 is set to ``pad_value`` first, so that a pad position that is not
    skipped shows in every result.
    """
    torch.manual_seed(seed)
    bag = nn.EmbeddingBag(7, 3, mode="mean", padding_idx=0)
    with torch.no_grad():
        bag.weight[0] = pad_value
    emb = nn.Embedding(7, 3, padding_idx=0)
    emb.load_state_dict(bag.state_dict())
    ids = torch.tensor([[1, 2, 0, 0], [0, 0, 0, 0]])
    summed = nn.EmbeddingBag(7, 3, mode="sum", padding_idx=0)
    summed.load_state_dict(bag.state_dict())
    weights = torch.tensor([[1.0, 1.0, 100.0, 100.0]])
    with torch.no_grad():
        rows = bag.weight[ids[0]]
        return BagRun(
            bag_mean=_np(bag(ids)[0]),
            mean_of_real_rows=_np(bag.weight[1:3].mean(0)),
            embedding_then_mean=_np(emb(ids).mean(1)[0]),
            sum_over_padded_length=_np(rows.sum(0) / ids.shape[1]),
            pad_row=_np(bag.weight[0]),
            all_pad_bag=_np(bag(ids)[1]),
            all_pad_embedding_mean=_np(emb(ids).mean(1)[1]),
            pad_weights=_np(weights[0, ids[0] == 0]),
            weighted_sum=_np(summed(ids[:1], per_sample_weights=weights)[0]),
            sum_of_real_rows=_np(bag.weight[1] + bag.weight[2]),
            weighted_sum_with_pads=_np((rows * weights[0, :, None]).sum(0)),
        )


def adam_laziness(seed: int = 0) -> dict[str, float]:
    """How far row 3 moves in a step whose batch lacks it, after a step whose batch had it.

    ``SparseAdam`` (with ``sparse=True``) against ``Adam`` (dense gradients).
    """
    moved = {}
    for name in ("SparseAdam", "Adam"):
        torch.manual_seed(seed)
        emb = nn.Embedding(5, 2, sparse=name == "SparseAdam")
        opt = getattr(torch.optim, name)(emb.parameters(), lr=0.1)
        for batch in ([1, 3], [1, 2]):
            before = emb.weight[3].detach().clone()
            opt.zero_grad()
            (emb(torch.tensor(batch)) ** 2).sum().backward()
            opt.step()
        moved[name] = float((emb.weight[3].detach() - before).abs().max())
    return moved


# --- pitfalls ------------------------------------------------------------------------------


def _attended(weights: torch.Tensor) -> bool:
    return bool(weights[0].item() > 0)


def polarity_torch() -> dict[str, str]:
    """What ``True`` means in each PyTorch attention mask, found by running it.

    Key 0 is marked ``True``: if it then gets attention weight 0, ``True``
    means *ignore*; if it gets weight > 0 while the other keys are blocked or
    free, ``True`` means *attend*.
    """
    torch.manual_seed(0)
    x = torch.randn(1, 3, 4)
    marked = torch.tensor([[True, False, False]])
    mha = nn.MultiheadAttention(4, 1, batch_first=True)
    _, weights = mha(x, x, x, key_padding_mask=marked, need_weights=True)
    mha_meaning = "attend" if _attended(weights[0, 0]) else "ignore"
    q = x[:, None]  # (batch, heads, time, dim)
    out = F.scaled_dot_product_attention(
        q, q, x[:, None] * 0 + torch.eye(3, 4), attn_mask=marked[:, None]
    )
    # With value rows one-hot, the output is the attention weights themselves.
    sdpa_meaning = "attend" if _attended(out[0, 0, 0]) else "ignore"
    return {
        "nn.MultiheadAttention(key_padding_mask=...)": mha_meaning,
        "F.scaled_dot_product_attention(attn_mask=bool)": sdpa_meaning,
    }


def all_padded_query(seed: int = 0) -> dict[str, list[float]]:
    """``nn.MultiheadAttention`` for a query whose keys are all padding (CPU).

    Every case runs under ``torch.no_grad()`` except the last, which runs in
    eval mode with autograd on: the fused fast path needs both eval mode and
    autograd off.
    """
    torch.manual_seed(seed)
    mha = nn.MultiheadAttention(4, 2, batch_first=True)
    x = torch.randn(1, 3, 4)
    every_key_padded = torch.ones(1, 3, dtype=torch.bool)
    result = {}
    with torch.no_grad():
        for mode in ("train", "eval"):
            mha.train(mode == "train")
            for need_weights in (True, False):
                out, _ = mha(
                    x,
                    x,
                    x,
                    key_padding_mask=every_key_padded,
                    need_weights=need_weights,
                )
                result[f"{mode}, need_weights={need_weights}"] = out[0, 0, :2].tolist()
    mha.eval()
    out, _ = mha(x, x, x, key_padding_mask=every_key_padded, need_weights=False)
    result["eval, need_weights=False, autograd on"] = out[0, 0, :2].tolist()
    return result


def half_precision_fill() -> dict[str, object]:
    """What a ``-1e9`` fill does in float16, against ``masked_softmax``."""
    scores = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], dtype=torch.float16)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    additive = (~mask).to(torch.float16) * -1e9  # built as many codebases build it
    try:
        scores.masked_fill(~mask, -1e9)
        masked_fill_error = ""
    except RuntimeError as err:
        masked_fill_error = f"RuntimeError: {err}"
    return {
        "minus_1e9_in_float16": float(torch.tensor(-1e9).to(torch.float16)),
        "masked_fill_error": masked_fill_error,
        "additive_softmax": torch.softmax(scores + additive, -1).float().tolist(),
        "masked_softmax": masked_softmax(scores, mask).float().tolist(),
        # The control: the same additive mask in float32, where -1e9 is finite.
        "additive_softmax_float32": torch.softmax(
            scores.float() + (~mask).float() * -1e9, -1
        ).tolist(),
    }


def micro_batch_means(seed: int = 0) -> dict[str, float]:
    """Averaging per-micro-batch token means is not the token mean of the whole batch."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 6, 5, generator=gen)
    targets = torch.randint(1, 5, (4, 6), generator=gen)
    lengths = torch.tensor([6, 5, 2, 1])
    mask = torch.arange(6)[None, :] < lengths[:, None]
    targets = torch.where(mask, targets, 0)

    def token_losses(b):
        return F.cross_entropy(
            logits[b].flatten(0, 1),
            targets[b].flatten(),
            ignore_index=0,
            reduction="sum",
        )

    halves = [slice(0, 2), slice(2, 4)]
    means = [token_losses(h) / mask[h].sum() for h in halves]
    return {
        "whole batch, ignore_index mean": float(
            F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=0)
        ),
        "mean of micro-batch means": float(sum(means) / len(means)),
        "sum of micro-batch sums / all real tokens": float(
            sum(token_losses(h) for h in halves) / mask.sum()
        ),
    }


def _rotate(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Rotary position embedding (RoPE) of ``x`` (batch, time, dim) at ``positions``."""
    half = x.shape[-1] // 2
    freq = 1.0 / 10000 ** (torch.arange(half) / half)
    angle = positions[..., None].float() * freq
    cos, sin = angle.cos(), angle.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class _TinyDecoder(nn.Module):
    """Embedding + positions + one causal self-attention layer + head.

    ``rotary=False``: learned absolute positions added to the embedding;
    ``rotary=True``: rotary positions applied to queries and keys.
    """

    def __init__(
        self, vocab: int = 12, dim: int = 8, max_len: int = 16, rotary: bool = False
    ) -> None:
        super().__init__()
        self.rotary = rotary
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.position = nn.Embedding(max_len, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.head = nn.Linear(dim, vocab)

    def forward(self, ids, positions, attn_mask):
        h = self.embed(ids)
        if not self.rotary:
            h = h + self.position(positions)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        if self.rotary:
            q, k = _rotate(q, positions), _rotate(k, positions)
        h = (
            h
            + F.scaled_dot_product_attention(
                q[:, None], k[:, None], v[:, None], attn_mask=attn_mask
            )[:, 0]
        )
        return self.head(h)


def batched_generation(seed: int = 0) -> dict[str, float]:
    """Next-token logits of a short prompt batched with a long one, against the prompt alone.

    Returns, for each way of batching and reading, the largest difference
    from the prompt run alone. Learned absolute positions unless the name
    says rotary.
    """
    short, long = [5, 3, 7], [4, 9, 2, 6, 8, 1]
    time = len(long)
    results = {}
    for rotary in (False, True):
        torch.manual_seed(seed)
        model = _TinyDecoder(rotary=rotary).eval()

        def logits_alone(model=model):
            ids = torch.tensor([short])
            pos = torch.arange(len(short))[None]
            causal = torch.ones(1, 1, len(short), len(short), dtype=torch.bool).tril()
            return model(ids, pos, causal)[0, -1]

        def batched(side: str, position_ids: bool, read: str, model=model):
            ids = torch.tensor(
                [long, short + [0] * 3] if side == "right" else [long, [0] * 3 + short]
            )
            mask = ids != 0
            pos = (
                (mask.cumsum(-1) - 1).clamp(min=0)
                if position_ids
                else torch.arange(time)[None].expand(2, -1)
            )
            out = model(ids, pos, sdpa_mask(mask, causal=True))
            # "last column": where a generator reads the next token of every row;
            # "length - 1": the short prompt's own last token.
            return out[1, -1] if read == "last column" else out[1, len(short) - 1]

        cases = (
            {
                "right padding, read at the last column": (
                    "right",
                    True,
                    "last column",
                ),
                "right padding, read at length - 1": ("right", True, "length - 1"),
                "left padding, positions 0..T-1": ("left", False, "last column"),
                "left padding, positions skip the pads": ("left", True, "last column"),
            }
            if not rotary
            else {
                "rotary, left padding, positions 0..T-1": (
                    "left",
                    False,
                    "last column",
                ),
            }
        )
        with torch.no_grad():
            alone = logits_alone()
            for name, args in cases.items():
                results[name] = float((batched(*args) - alone).abs().max())
    return results


def sdpa_all_masked_row(seed: int = 0) -> dict[str, list[float]]:
    """``F.scaled_dot_product_attention`` for a query whose boolean mask is all ``False``.

    Next to it, the control: a plain softmax over the same row with the
    blocked scores set to ``-inf``, which is 0 / 0.
    """
    gen = torch.Generator().manual_seed(seed)
    q = torch.randn(1, 1, 3, 4, generator=gen)
    mask = torch.tensor(
        [[True, True, False], [False, False, False], [True, False, False]]
    )
    out = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    scores = (q @ q.transpose(-1, -2)) / 2.0
    plain = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1) @ q
    return {
        "sdpa_output_all_masked_row": out[0, 0, 1].tolist(),
        "sdpa_output_other_row_abs_max": float(out[0, 0, 0].abs().max()),
        "softmax_with_minus_inf_row": plain[0, 0, 1].tolist(),
    }


def leaks_across_padding(seed: int = 0) -> dict[str, float]:
    """How much the real positions' outputs change when only the padding's values change."""
    torch.manual_seed(seed)
    lengths = torch.tensor([4, 2])
    mask = (torch.arange(6)[None, :] < lengths[:, None])[:, None, :]  # (batch, 1, time)
    x = torch.randn(2, 3, 6)
    other_padding = torch.where(mask, x, torch.randn(2, 3, 6) * 5)
    layers = {
        "Conv1d(kernel_size=3)": nn.Conv1d(3, 3, kernel_size=3, padding=1),
        "BatchNorm1d (training)": nn.BatchNorm1d(3).train(),
        # The controls: no neighbours, and fixed (running) statistics.
        "Conv1d(kernel_size=1)": nn.Conv1d(3, 3, kernel_size=1),
        "BatchNorm1d (eval)": nn.BatchNorm1d(3).eval(),
    }
    real = mask.expand(-1, 3, -1)
    with torch.no_grad():
        return {
            name: float(
                (layer(x) - layer(other_padding)).abs().masked_select(real).max()
            )
            for name, layer in layers.items()
        }


def padding_invariance(seed: int = 0) -> dict[str, float]:
    """Padding leaks and their fixes, against each sequence run alone (real positions).

    Two sequences of lengths 4 and 2, channels first ``(batch, channels,
    time)``; the padded batch holds large random values at the pad positions.
    A ``padding="same"`` convolution of an unpadded sequence sees zeros
    beyond its end, so a convolution over the padded batch matches it only
    where the padding is zero at its input. Returns the largest difference
    from the unpadded runs for each set-up.
    """
    torch.manual_seed(seed)
    lengths = [4, 2]
    x = torch.randn(2, 3, 6)
    mask = torch.arange(6)[None, :] < torch.tensor(lengths)[:, None]  # (batch, time)
    keep = mask[:, None, :]  # channels first: the mask goes on the time axis
    padded = torch.where(keep, x, torch.randn(2, 3, 6) * 5)
    conv1 = nn.Conv1d(3, 3, kernel_size=3, padding=1)
    conv2 = nn.Conv1d(3, 3, kernel_size=3, padding=1)
    pointwise = nn.Conv1d(3, 3, kernel_size=1)

    def worst(run) -> float:
        # run(t, keep): the set-up on a batch t whose real positions are keep.
        return max(
            float(
                (
                    run(padded, keep)[b : b + 1, :, :n]
                    - run(x[b : b + 1, :, :n], keep[b : b + 1, :, :n])
                )
                .abs()
                .max()
            )
            for b, n in enumerate(lengths)
        )

    with torch.no_grad():
        return {
            "Conv1d(kernel_size=3), padding as it is": worst(lambda t, k: conv1(t)),
            "Conv1d(kernel_size=1), padding as it is": worst(lambda t, k: pointwise(t)),
            "Conv1d(kernel_size=3), padding zeroed": worst(lambda t, k: conv1(t * k)),
            "two Conv1d, padding zeroed once": worst(
                lambda t, k: conv2(torch.relu(conv1(t * k)))
            ),
            "two Conv1d, padding zeroed before each": worst(
                lambda t, k: conv2(torch.relu(conv1(t * k)) * k)
            ),
        }


def packed_lstm(seed: int = 0) -> dict[str, float]:
    """``nn.LSTM`` over a right-padded batch: packed by lengths, or padded as it is.

    Largest difference of the final hidden state ``h_n`` from each sequence
    run alone; the pad positions hold random values.
    """
    torch.manual_seed(seed)
    lstm = nn.LSTM(3, 4, batch_first=True)
    lengths = torch.tensor([2, 5, 3])  # not sorted: enforce_sorted=False
    x = torch.randn(3, 5, 3)
    mask = torch.arange(5)[None, :] < lengths[:, None]
    x = torch.where(mask[..., None], x, torch.randn(3, 5, 3))
    with torch.no_grad():
        alone = torch.cat(
            [lstm(x[b : b + 1, :n])[1][0][0] for b, n in enumerate(lengths.tolist())]
        )
        packed = nn.utils.rnn.pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        h_packed = lstm(packed)[1][0][0]
        h_padded = lstm(x)[1][0][0]
    return {
        "packed (pack_padded_sequence)": float((h_packed - alone).abs().max()),
        "padded, not packed": float((h_padded - alone).abs().max()),
    }


def padded_attention(seed: int = 0) -> dict[str, float]:
    """Attention over a padded batch against each sequence alone (lengths 5, 3 and 1).

    With the recipes' masks (``key_padding_mask``, ``sdpa_mask``) and, as the
    control, without any mask. ``nn.MultiheadAttention`` in eval mode.
    """
    from padguide.numpy import lengths_to_mask
    from padguide.torch import key_padding_mask

    gen = torch.Generator().manual_seed(seed)
    lengths = [5, 3, 1]
    t = torch.randn(3, 5, 4, generator=gen)
    m = torch.as_tensor(lengths_to_mask(np.array(lengths)))
    torch.manual_seed(seed)
    mha = nn.MultiheadAttention(4, 2, batch_first=True).eval()

    def worst(padded, alone) -> float:
        return max(
            float((padded[b, :n] - alone(b, n)[0]).abs().max())
            for b, n in enumerate(lengths)
        )

    def one(b, n):
        return t[b : b + 1, :n]

    def sdpa(q, **kw):
        return F.scaled_dot_product_attention(q[:, None], q[:, None], q[:, None], **kw)[
            :, 0
        ]

    with torch.no_grad():
        return {
            "nn.MultiheadAttention + key_padding_mask": worst(
                mha(t, t, t, key_padding_mask=key_padding_mask(m))[0],
                lambda b, n: mha(one(b, n), one(b, n), one(b, n))[0],
            ),
            "nn.MultiheadAttention, no mask": worst(
                mha(t, t, t)[0], lambda b, n: mha(one(b, n), one(b, n), one(b, n))[0]
            ),
            "F.scaled_dot_product_attention + sdpa_mask (causal)": worst(
                sdpa(t, attn_mask=sdpa_mask(m, causal=True)),
                lambda b, n: sdpa(one(b, n), is_causal=True),
            ),
            "F.scaled_dot_product_attention, no mask": worst(
                sdpa(t), lambda b, n: sdpa(one(b, n))
            ),
            # Right padding: a causal mask alone already hides the later pad keys.
            "F.scaled_dot_product_attention, causal, no padding mask": worst(
                sdpa(t, is_causal=True), lambda b, n: sdpa(one(b, n), is_causal=True)
            ),
        }


def pad_row_drift(optimizer: str = "SGD", steps: int = 5, seed: int = 0) -> float:
    """How far row 0 of ``nn.Embedding(7, 3, padding_idx=0)`` moves in ``steps`` steps.

    The same model as :func:`padguide.experiments.keras.pad_row_drift`:
    embedding → ``Linear(3, 1)`` → sum of squares, on the classic ids, learning
    rate 0.1; ``optimizer`` is ``"SGD"`` or ``"AdamW"`` (weight decay 0.1).
    """
    makers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=0.1),
        "AdamW": lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1),
    }
    if optimizer not in makers:
        raise ValueError(
            f"optimizer must be one of {sorted(makers)}, got {optimizer!r}"
        )
    torch.manual_seed(seed)
    emb, dense = nn.Embedding(7, 3, padding_idx=0), nn.Linear(3, 1)
    opt = makers[optimizer]([*emb.parameters(), *dense.parameters()])
    start = emb.weight[0].detach().clone()
    ids = torch.as_tensor(CLASSIC_IDS)
    for _ in range(steps):
        opt.zero_grad()
        (dense(emb(ids)) ** 2).sum().backward()
        opt.step()
    return float((emb.weight[0].detach() - start).abs().max())
