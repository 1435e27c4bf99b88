"""PyTorch recipes: the shared API (same names and meaning as :mod:`padguide.numpy`), then PyTorch-only ones.

Each recipe takes and returns tensors, imports only torch and numpy, and can be
copied into a project as it is. The book's PyTorch experiments are in
:mod:`padguide.experiments.torch`.
"""

from __future__ import annotations

try:
    import torch
except ModuleNotFoundError as missing:  # the extra names what to install
    raise ImportError(
        'padguide.torch needs PyTorch: pip install "padguide[torch]"'
    ) from missing

__all__ = [
    "key_padding_mask",
    "lengths_to_mask",
    "mask_from_ids",
    "mask_to_lengths",
    "masked_cross_entropy",
    "masked_max",
    "masked_mean",
    "masked_softmax",
    "masked_sum",
    "sdpa_mask",
    "to_left_padding",
    "to_right_padding",
]

# --- recipes: the shared API (same names and meaning as padguide.numpy) --------------------


def lengths_to_mask(lengths, max_len: int | None = None) -> torch.Tensor:
    """A ``(batch, max_len)`` boolean mask, ``True`` where a row has a real token.

    Values are checked in eager mode; under ``torch.compile`` only shapes and
    dtypes are, so the compiled graph has no break (pass ``max_len`` there).

    >>> lengths_to_mask(torch.tensor([3, 1, 0]), max_len=4).int()
    tensor([[1, 1, 1, 0],
            [1, 0, 0, 0],
            [0, 0, 0, 0]], dtype=torch.int32)
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1:
        raise ValueError(
            f"lengths must be one-dimensional, got shape {tuple(lengths.shape)}"
        )
    if lengths.numel() and (lengths.is_floating_point() or lengths.dtype == torch.bool):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    if max_len is not None and (isinstance(max_len, bool) or max_len < 0):
        raise ValueError(f"max_len must be an int >= 0, got {max_len!r}")
    if not torch.compiler.is_compiling():  # values are known: check them
        if lengths.numel() and lengths.min() < 0:
            i = int(lengths.argmin())
            raise ValueError(f"lengths[{i}]={int(lengths[i])} is negative")
        longest = int(lengths.max()) if lengths.numel() else 0
        if max_len is not None and longest > max_len:
            i = int(lengths.argmax())
            raise ValueError(f"lengths[{i}]={longest} exceeds max_len={max_len}")
        max_len = longest if max_len is None else max_len
    elif max_len is None:
        raise ValueError("lengths_to_mask needs max_len under torch.compile")
    return torch.arange(max_len, device=lengths.device) < lengths[:, None]


def mask_to_lengths(mask) -> torch.Tensor:
    """The number of real tokens in each row of a ``(batch, time)`` mask.

    >>> mask_to_lengths(torch.tensor([[True, True, False], [False, True, True]]))
    tensor([2, 2])
    """
    mask = torch.as_tensor(mask)
    if mask.dim() != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    return mask.sum(dim=1)


def masked_sum(x, mask) -> torch.Tensor:
    """Sum over the time axis of the real tokens only; 0 for a row with none.

    float16 and bfloat16 inputs are summed in float32 and returned in their dtype.

    >>> masked_sum(torch.tensor([[1.0, 2.0, 99.0]]), torch.tensor([[True, True, False]]))
    tensor([3.])
    """
    x = torch.as_tensor(x)
    mask = torch.as_tensor(mask, device=x.device)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if x.dim() not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    half = x.dtype in (torch.float16, torch.bfloat16)
    if x.dim() == 3:
        mask = mask[:, :, None]
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    total = torch.where(mask, x, zero).sum(dim=1, dtype=torch.float32 if half else None)
    return total.to(x.dtype) if half else total


def masked_mean(x, mask) -> torch.Tensor:
    """Mean over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    float16 and bfloat16 inputs are summed and counted in float32 and returned
    in their dtype.

    >>> masked_mean(torch.tensor([[1.0, 2.0, 99.0], [5.0, 5.0, 5.0]]), torch.tensor([[1, 1, 0], [0, 0, 0]]))
    tensor([1.5000, 0.0000])
    """
    x = torch.as_tensor(x)
    mask = torch.as_tensor(mask, device=x.device)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if x.dim() not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    dtype = x.dtype if x.is_floating_point() else torch.float32
    wide = torch.float64 if dtype == torch.float64 else torch.float32
    count = mask.sum(dim=1, dtype=wide)
    if x.dim() == 3:
        mask, count = mask[:, :, None], count[:, None]
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    total = torch.where(mask, x, zero).sum(dim=1, dtype=wide)
    return (total / count.clamp(min=1)).to(dtype)


def masked_max(x, mask) -> torch.Tensor:
    """Maximum over the time axis of the real tokens only; 0 (and a finite gradient) for a row with none.

    >>> masked_max(torch.tensor([[-3.0, -1.0, 99.0], [5.0, 5.0, 5.0]]), torch.tensor([[1, 1, 0], [0, 0, 0]]))
    tensor([-1.,  0.])
    """
    x = torch.as_tensor(x)
    mask = torch.as_tensor(mask, device=x.device)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if x.dim() not in (2, 3) or mask.shape != x.shape[:2]:
        raise ValueError(
            f"expected x (batch, time[, features]) and mask (batch, time), got x {tuple(x.shape)} and mask {tuple(mask.shape)}"
        )
    if not x.is_floating_point():
        x = x.float()
    any_real = mask.any(dim=1)
    if x.dim() == 3:
        mask, any_real = mask[:, :, None], any_real[:, None]
    if x.shape[1] == 0:
        return torch.zeros(x.shape[:1] + x.shape[2:], dtype=x.dtype, device=x.device)
    # The dtype's lowest finite value, not -inf or -1e9: finite in float16 too.
    lowest = torch.full((), torch.finfo(x.dtype).min, dtype=x.dtype, device=x.device)
    largest = torch.where(mask, x, lowest).amax(dim=1)
    return torch.where(any_real, largest, torch.zeros_like(largest))


def masked_softmax(scores, mask) -> torch.Tensor:
    """Softmax over the last axis that gives masked positions probability 0.

    A ``(batch, time)`` mask serves ``(batch, heads, query, time)`` scores
    (missing axes after the batch axis are inserted). A row with no unmasked
    position gives all zeros and a finite gradient, never NaN. float16 and
    bfloat16 scores are normalised in float32 and returned in their dtype.

    >>> masked_softmax(torch.tensor([[0.0, 0.0, 5.0], [1.0, 2.0, 3.0]]), torch.tensor([[1, 1, 0], [0, 0, 0]]))
    tensor([[0.5000, 0.5000, 0.0000],
            [0.0000, 0.0000, 0.0000]])
    """
    scores = torch.as_tensor(scores)
    mask = torch.as_tensor(mask, device=scores.device)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if not scores.is_floating_point():
        raise TypeError(f"scores must be floating point, got dtype {scores.dtype}")
    if (
        not 2 <= mask.dim() <= scores.dim()
        or mask.shape[0] != scores.shape[0]
        or mask.shape[-1] != scores.shape[-1]
    ):
        raise ValueError(
            f"mask must be (batch, ..., time) for scores (batch, ..., time), got mask {tuple(mask.shape)} and scores {tuple(scores.shape)}"
        )
    mask = mask.reshape(
        mask.shape[:1] + (1,) * (scores.dim() - mask.dim()) + mask.shape[1:]
    )
    if scores.numel() == 0:
        return torch.zeros_like(scores)
    wide = scores.float() if scores.dtype in (torch.float16, torch.bfloat16) else scores
    lowest = torch.full(
        (), torch.finfo(wide.dtype).min, dtype=wide.dtype, device=wide.device
    )
    filled = torch.where(mask, wide, lowest)
    exp = torch.exp(filled - filled.amax(dim=-1, keepdim=True)) * mask
    total = exp.sum(dim=-1, keepdim=True)
    return (exp / torch.where(total > 0, total, torch.ones_like(total))).to(
        scores.dtype
    )


def to_left_padding(x, lengths) -> torch.Tensor:
    """Move each row's real tokens from the start of the row to its end.

    >>> to_left_padding(torch.tensor([[7, 8, 0, 0], [5, 6, 7, 0]]), torch.tensor([2, 3]))
    tensor([[0, 0, 7, 8],
            [0, 5, 6, 7]])
    """
    x = torch.as_tensor(x)
    lengths = torch.as_tensor(lengths, device=x.device)
    if x.dim() not in (2, 3) or lengths.shape != x.shape[:1]:
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.numel() and (lengths.is_floating_point() or lengths.dtype == torch.bool):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = x.shape[1]
    eager = not torch.compiler.is_compiling()  # values are checked in eager mode only
    if eager and lengths.numel() and (lengths.min() < 0 or lengths.max() > time):
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {lengths.tolist()}"
        )
    index = (
        torch.arange(time, device=x.device)[None, :] - (time - lengths.long())[:, None]
    )
    index = torch.where(index < 0, index + time, index)  # rotate right by each length
    if x.dim() == 3:
        index = index[:, :, None].expand(-1, -1, x.shape[2])
    return torch.gather(x, 1, index)


def to_right_padding(x, lengths) -> torch.Tensor:
    """Move each row's real tokens from the end of the row to its start.

    >>> to_right_padding(torch.tensor([[0, 0, 7, 8], [0, 5, 6, 7]]), torch.tensor([2, 3]))
    tensor([[7, 8, 0, 0],
            [5, 6, 7, 0]])
    """
    x = torch.as_tensor(x)
    lengths = torch.as_tensor(lengths, device=x.device)
    if x.dim() not in (2, 3) or lengths.shape != x.shape[:1]:
        raise ValueError(
            f"expected x (batch, time[, features]) and lengths (batch,), got x {tuple(x.shape)} and lengths {tuple(lengths.shape)}"
        )
    if lengths.numel() and (lengths.is_floating_point() or lengths.dtype == torch.bool):
        raise TypeError(f"lengths must hold integers, got dtype {lengths.dtype}")
    time = x.shape[1]
    eager = not torch.compiler.is_compiling()  # values are checked in eager mode only
    if eager and lengths.numel() and (lengths.min() < 0 or lengths.max() > time):
        raise ValueError(
            f"lengths must lie in [0, {time}] (the time axis), got {lengths.tolist()}"
        )
    index = (
        torch.arange(time, device=x.device)[None, :] + (time - lengths.long())[:, None]
    )
    index = torch.where(
        index >= time, index - time, index
    )  # rotate left by each length
    if x.dim() == 3:
        index = index[:, :, None].expand(-1, -1, x.shape[2])
    return torch.gather(x, 1, index)


def masked_cross_entropy(logits, targets, mask) -> torch.Tensor:
    """Mean cross-entropy over the real tokens; 0 (not NaN) for a batch with none.

    Equals ``F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad)``
    when ``mask`` is ``targets != pad``. float16 and bfloat16 logits are
    reduced in float32 and the loss returned in their dtype.

    >>> logits = torch.log(torch.tensor([[[0.5, 0.5], [0.9, 0.1]]]))
    >>> round(float(masked_cross_entropy(logits, torch.tensor([[0, 1]]), torch.tensor([[1, 0]]))), 4)
    0.6931
    """
    logits = torch.as_tensor(logits)
    targets = torch.as_tensor(targets, device=logits.device)
    mask = torch.as_tensor(mask, device=logits.device)
    eager = not torch.compiler.is_compiling()  # values are checked in eager mode only
    if mask.dtype != torch.bool:
        if eager and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if (
        logits.dim() != 3
        or targets.shape != logits.shape[:2]
        or mask.shape != targets.shape
    ):
        raise ValueError(
            f"expected logits (batch, time, classes), targets and mask (batch, time), got {tuple(logits.shape)}, {tuple(targets.shape)}, {tuple(mask.shape)}"
        )
    if targets.dtype == torch.bool or (
        targets.is_floating_point() and eager and (targets != targets.round()).any()
    ):  # whole-number floats pass: Keras hands a loss its y_true as floats
        raise TypeError(
            f"targets must hold integer class ids, got dtype {targets.dtype}"
        )
    targets = targets.long()
    classes = logits.shape[-1]
    if eager and mask.any():
        real = targets[mask]
        if real.min() < 0 or real.max() >= classes:
            raise ValueError(
                f"targets at real positions must lie in [0, {classes}), got {int(real.min())}..{int(real.max())}"
            )
    dtype = logits.dtype if logits.is_floating_point() else torch.float32
    wide = torch.float64 if dtype == torch.float64 else torch.float32
    log_probs = torch.log_softmax(logits.to(wide), dim=-1)
    safe_targets = torch.where(mask, targets, torch.zeros_like(targets))
    picked = torch.gather(log_probs, -1, safe_targets[..., None])[..., 0]
    total = torch.where(mask, picked, torch.zeros_like(picked)).sum()
    return (-total / mask.sum(dtype=wide).clamp(min=1)).to(dtype)


# --- recipes: PyTorch only -------------------------------------------------------------------


def mask_from_ids(ids, padding_idx: int = 0) -> torch.Tensor:
    """The mask of real tokens (``True``) in a batch of ids padded with ``padding_idx``.

    >>> mask_from_ids(torch.tensor([[4, 2, 0]]), padding_idx=0)
    tensor([[ True,  True, False]])
    """
    ids = torch.as_tensor(ids)
    if ids.is_floating_point() or ids.dtype == torch.bool:
        raise TypeError(f"ids must hold integers, got dtype {ids.dtype}")
    if (
        isinstance(padding_idx, bool)
        or not isinstance(padding_idx, int)
        or padding_idx < 0
    ):
        raise ValueError(f"padding_idx must be an int >= 0, got {padding_idx!r}")
    if not torch.compiler.is_compiling() and ids.numel() and ids.min() < 0:
        raise ValueError(f"ids must be >= 0, got {int(ids.min())}")
    return ids != padding_idx


def key_padding_mask(mask) -> torch.Tensor:
    """``nn.MultiheadAttention``'s ``key_padding_mask`` from a mask of real tokens.

    Its polarity is the opposite of padguide's: ``True`` means *ignore this key*.

    >>> key_padding_mask(torch.tensor([[True, True, False]]))
    tensor([[False, False,  True]])
    """
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if mask.dim() != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    return ~mask


def sdpa_mask(mask, causal: bool = False) -> torch.Tensor:
    """A boolean ``attn_mask`` for ``F.scaled_dot_product_attention`` (``True`` = attend).

    Shape ``(batch, 1, time, time)``: query ``i`` attends key ``j`` when ``j`` is
    a real token (and ``j <= i`` if ``causal``). A query row that would attend
    no key at all (a row of padding only, or left padding under ``causal``)
    attends every key instead, so its output is finite in any attention
    implementation (``F.scaled_dot_product_attention`` itself returns 0 for
    such a row since PyTorch 2.5; a hand-written softmax over ``-inf`` gives
    NaN); it sits at a padded position, so ignore it downstream.

    >>> sdpa_mask(torch.tensor([[True, True, False]]))[0, 0].int()
    tensor([[1, 1, 0],
            [1, 1, 0],
            [1, 1, 0]], dtype=torch.int32)
    >>> sdpa_mask(torch.tensor([[False, True, True]]), causal=True)[0, 0].int()
    tensor([[1, 1, 1],
            [0, 1, 0],
            [0, 1, 1]], dtype=torch.int32)
    """
    mask = torch.as_tensor(mask)
    if mask.dtype != torch.bool:  # 0/1 values are checked in eager mode only
        if not torch.compiler.is_compiling() and not ((mask == 0) | (mask == 1)).all():
            raise TypeError(
                f"mask must be boolean or hold only 0 and 1, got dtype {mask.dtype}"
            )
        mask = mask != 0
    if mask.dim() != 2:
        raise ValueError(
            f"mask must be two-dimensional (batch, time), got shape {tuple(mask.shape)}"
        )
    time = mask.shape[1]
    attend = mask[:, None, None, :].expand(-1, 1, time, -1)
    if causal:
        attend = (
            attend & torch.ones(time, time, dtype=torch.bool, device=mask.device).tril()
        )
    # A row that may attend nothing is 0 / 0 in a plain softmax: let it attend everything.
    return attend | ~attend.any(dim=-1, keepdim=True)
