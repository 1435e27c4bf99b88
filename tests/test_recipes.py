"""The shared recipes: NumPy == PyTorch == Keras, equal to the unpadded computation, safe at the edges."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

import padguide.keras as pk
import padguide.numpy as pn
import padguide.torch as pt

TOL = 1e-5
REDUCTIONS = ("masked_sum", "masked_mean", "masked_max")


def as_np(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(keras.ops.convert_to_numpy(value))


@st.composite
def padded_batches(draw, features: bool | None = None):
    """x (batch, time[, features]), its mask, and lengths; padding on either side."""
    batch = draw(st.integers(0, 4))
    time = draw(st.integers(0, 6))
    dim = (
        draw(st.sampled_from([None, 1, 3]))
        if features is None
        else (3 if features else None)
    )
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    lengths = np.array(
        draw(st.lists(st.integers(0, time), min_size=batch, max_size=batch)),
        dtype=np.int64,
    )
    side = draw(st.sampled_from(["right", "left"]))
    shape = (batch, time) if dim is None else (batch, time, dim)
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).uniform(-10, 10, size=shape).astype(dtype)
    mask = np.arange(time)[None, :] < lengths[:, None]
    if side == "left":
        mask = mask[:, ::-1].copy()
    return x, mask, lengths, side


def unpadded(x, mask, reduce) -> np.ndarray:
    """The reduction of each row's real tokens, computed one row at a time."""
    rows = []
    for row, keep in zip(x, mask, strict=True):
        real = row[keep]
        rows.append(
            reduce(real, axis=0) if len(real) else np.zeros(row.shape[1:], row.dtype)
        )
    return np.array(rows, dtype=x.dtype).reshape((len(x), *x.shape[2:]))


@given(padded_batches())
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_agree_across_frameworks_and_with_unpadded(name, case):
    x, mask, _, _ = case
    reference = getattr(pn, name)(x, mask)
    expected = unpadded(
        x,
        mask,
        {"masked_sum": np.sum, "masked_mean": np.mean, "masked_max": np.max}[name],
    )
    np.testing.assert_allclose(reference, expected, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(
        as_np(getattr(pt, name)(torch.as_tensor(x), torch.as_tensor(mask))),
        reference,
        rtol=TOL,
        atol=TOL,
    )
    np.testing.assert_allclose(
        as_np(getattr(pk, name)(x, mask)), reference, rtol=TOL, atol=TOL
    )
    assert reference.shape == x.shape[:1] + x.shape[2:]


@given(padded_batches(features=False), st.sampled_from([None, 2]))
def test_softmax_agrees_and_zeroes_masked_positions(case, heads):
    scores, mask, _, _ = case
    if heads:  # (batch, heads, query, time) scores with a (batch, time) mask
        scores = np.repeat(scores[:, None, None, :], heads, axis=1).repeat(2, axis=2)
    reference = pn.masked_softmax(scores, mask)
    np.testing.assert_allclose(
        as_np(pt.masked_softmax(torch.as_tensor(scores), torch.as_tensor(mask))),
        reference,
        rtol=TOL,
        atol=TOL,
    )
    np.testing.assert_allclose(
        as_np(pk.masked_softmax(scores, mask)), reference, rtol=TOL, atol=TOL
    )
    wide = mask.reshape(mask.shape[:1] + (1,) * (scores.ndim - 2) + mask.shape[1:])
    wide = np.broadcast_to(wide, scores.shape)
    assert (reference[~wide] == 0).all()
    sums = reference.sum(-1)
    np.testing.assert_allclose(sums, np.where(wide.any(-1), 1.0, 0.0), atol=TOL)
    assert np.isfinite(reference).all()


@given(padded_batches())
def test_moving_padding_between_sides(case):
    x, _mask, lengths, side = case
    right = x if side == "right" else pn.to_right_padding(x, lengths)
    left = pn.to_left_padding(right, lengths)
    np.testing.assert_array_equal(pn.to_right_padding(left, lengths), right)
    for row, n, left_row in zip(right, lengths, left, strict=True):
        np.testing.assert_array_equal(left_row[len(row) - n :], row[:n])
    np.testing.assert_array_equal(
        as_np(pt.to_left_padding(torch.as_tensor(right), torch.as_tensor(lengths))),
        left,
    )
    np.testing.assert_array_equal(as_np(pk.to_left_padding(right, lengths)), left)
    np.testing.assert_array_equal(
        as_np(pt.to_right_padding(torch.as_tensor(left), torch.as_tensor(lengths))),
        right,
    )
    np.testing.assert_array_equal(as_np(pk.to_right_padding(left, lengths)), right)


@given(padded_batches(features=False))
def test_lengths_and_masks_agree(case):
    _, mask, lengths, _ = case
    time = mask.shape[1]
    right = pn.lengths_to_mask(lengths, max_len=time)
    np.testing.assert_array_equal(
        as_np(pt.lengths_to_mask(torch.as_tensor(lengths), max_len=time)), right
    )
    np.testing.assert_array_equal(
        as_np(pk.lengths_to_mask(lengths, max_len=time)), right
    )
    for impl, wrap in ((pn, np.asarray), (pt, torch.as_tensor), (pk, np.asarray)):
        np.testing.assert_array_equal(as_np(impl.mask_to_lengths(wrap(mask))), lengths)


@given(padded_batches(features=True), st.integers(0, 2**16))
def test_cross_entropy_agrees_with_ignore_index_and_ignore_class(case, seed):
    logits, mask, _, _ = case
    rng = np.random.default_rng(seed)
    targets = np.where(mask, rng.integers(1, logits.shape[-1], size=mask.shape), 0)
    reference = pn.masked_cross_entropy(logits, targets, mask)
    got_torch = float(
        pt.masked_cross_entropy(
            torch.as_tensor(logits), torch.as_tensor(targets), torch.as_tensor(mask)
        )
    )
    got_keras = float(pk.masked_cross_entropy(logits, targets, mask))
    np.testing.assert_allclose(
        [got_torch, got_keras], [reference, reference], rtol=TOL, atol=TOL
    )
    if (
        mask.any()
    ):  # the frameworks' own masked means (both are NaN or 0 without a real token)
        ignore_index = F.cross_entropy(
            torch.as_tensor(logits).flatten(0, 1),
            torch.as_tensor(targets).flatten(),
            ignore_index=0,
        )
        ignore_class = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, ignore_class=0
        )(targets, logits)
        np.testing.assert_allclose(
            [float(ignore_index), float(ignore_class)],
            [reference, reference],
            rtol=1e-4,
            atol=1e-5,
        )
    else:
        assert reference == 0


def test_all_padding_gives_zero_values_and_finite_gradients():
    mask = np.zeros((2, 3), bool)
    mask[0, 0] = True  # one real token in row 0, none in row 1
    x = torch.randn(2, 3, 4, requires_grad=True)
    outputs = [
        pt.masked_sum(x, torch.as_tensor(mask)),
        pt.masked_mean(x, torch.as_tensor(mask)),
        pt.masked_max(x, torch.as_tensor(mask)),
        pt.masked_softmax(x[..., 0], torch.as_tensor(mask)),
    ]
    targets = torch.zeros(2, 3, dtype=torch.long)
    outputs.append(pt.masked_cross_entropy(x, targets, torch.as_tensor(mask)))
    outputs.append(
        pt.masked_cross_entropy(x, targets, torch.zeros(2, 3, dtype=torch.bool))
    )
    sum(o.sum() for o in outputs).backward()
    assert torch.isfinite(x.grad).all()
    for out in outputs[:4]:
        assert (out[1] == 0).all()
    assert float(outputs[-1].detach()) == 0

    xk = tf.Variable(
        np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    )
    with tf.GradientTape() as tape:
        values = [
            pk.masked_sum(xk, mask),
            pk.masked_mean(xk, mask),
            pk.masked_max(xk, mask),
            pk.masked_softmax(xk[..., 0], mask),
            pk.masked_cross_entropy(xk, np.zeros((2, 3), "int64"), mask),
        ]
        total = tf.add_n([tf.reduce_sum(v) for v in values])
    assert np.isfinite(tape.gradient(total, xk).numpy()).all()
    for value in values[:4]:
        assert (as_np(value)[1] == 0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_fill_values_are_safe_in_half_precision(dtype):
    scores = torch.tensor(
        [[3.0, -2.0, 60000.0 if dtype == torch.float16 else 1e30], [1.0, 1.0, 1.0]],
        dtype=dtype,
    )
    mask = torch.tensor([[True, True, False], [False, False, False]])
    probs = pt.masked_softmax(scores, mask)
    assert torch.isfinite(probs).all()
    assert float(probs[0, 2]) == 0
    assert float(probs[1].sum()) == 0
    largest = pt.masked_max(scores, mask)
    assert torch.isfinite(largest).all()
    assert float(largest[0]) == 3.0
    assert float(largest[1]) == 0
    np_probs = pn.masked_softmax(
        np.array([[3.0, -2.0, 60000.0]], np.float16), [[1, 1, 0]]
    )
    assert np.isfinite(np_probs).all()


def test_empty_batches_give_empty_results():
    x, mask, lengths = (
        np.zeros((0, 5, 2), np.float32),
        np.zeros((0, 5), bool),
        np.zeros((0,), np.int64),
    )
    for impl, wrap in ((pn, np.asarray), (pt, torch.as_tensor), (pk, np.asarray)):
        for name in REDUCTIONS:
            assert as_np(getattr(impl, name)(wrap(x), wrap(mask))).shape == (0, 2)
        assert as_np(impl.masked_softmax(wrap(x[..., 0]), wrap(mask))).shape == (0, 5)
        assert as_np(impl.to_left_padding(wrap(x), wrap(lengths))).shape == (0, 5, 2)
        assert as_np(impl.lengths_to_mask(wrap(lengths))).shape == (0, 0)
        assert as_np(impl.mask_to_lengths(wrap(mask))).shape == (0,)
        assert (
            float(
                impl.masked_cross_entropy(
                    wrap(x), wrap(np.zeros((0, 5), np.int64)), wrap(mask)
                )
            )
            == 0
        )


# --- attention masks: padded results equal unpadded ones on real positions -------------------


def _attention_case(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 5, 4)).astype(np.float32)
    lengths = np.array([5, 3, 1])
    return x, lengths, np.arange(5)[None, :] < lengths[:, None]


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_mask_matches_unpadded(causal):
    x, lengths, mask = _attention_case()
    q = torch.as_tensor(x)[:, None]  # one head
    out = F.scaled_dot_product_attention(
        q, q, q, attn_mask=pt.sdpa_mask(torch.as_tensor(mask), causal=causal)
    )
    assert torch.isfinite(out).all()
    for b, n in enumerate(lengths):
        alone = F.scaled_dot_product_attention(
            q[b : b + 1, :, :n],
            q[b : b + 1, :, :n],
            q[b : b + 1, :, :n],
            is_causal=causal,
        )
        torch.testing.assert_close(out[b : b + 1, :, :n], alone, rtol=1e-5, atol=1e-5)


def test_key_padding_mask_matches_unpadded():
    x, lengths, mask = _attention_case()
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True).eval()
    t = torch.as_tensor(x)
    out, _ = mha(t, t, t, key_padding_mask=pt.key_padding_mask(torch.as_tensor(mask)))
    for b, n in enumerate(lengths):
        alone, _ = mha(t[b : b + 1, :n], t[b : b + 1, :n], t[b : b + 1, :n])
        torch.testing.assert_close(out[b : b + 1, :n], alone, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("causal", [False, True])
def test_keras_attention_mask_matches_unpadded(causal):
    x, lengths, mask = _attention_case()
    keras.utils.set_random_seed(0)
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=2)
    out = as_np(mha(x, x, attention_mask=pk.attention_mask(mask, causal=causal)))
    assert np.isfinite(out).all()
    for b, n in enumerate(lengths):
        alone = as_np(mha(x[b : b + 1, :n], x[b : b + 1, :n], use_causal_mask=causal))
        np.testing.assert_allclose(out[b : b + 1, :n], alone, rtol=1e-5, atol=1e-5)


def test_mask_from_ids():
    ids = torch.tensor([[5, 1, 1], [2, 1, 1]])
    assert pt.mask_from_ids(ids, padding_idx=1).tolist() == [
        [True, False, False],
        [True, False, False],
    ]


# --- PaddingIdxEmbedding and porting -----------------------------------------------------------


@pytest.mark.parametrize("padding_idx", [0, 1])
def test_padding_idx_embedding_keeps_pad_row_zero_under_adamw(padding_idx):
    keras.utils.set_random_seed(0)
    ids = np.array(
        [[2, 3, padding_idx, padding_idx], [4, padding_idx, padding_idx, padding_idx]]
    )
    ours = pk.PaddingIdxEmbedding(6, 3, padding_idx=padding_idx)
    plain = keras.layers.Embedding(6, 3)
    for layer in (ours, plain):
        layer.build((None, None))
        opt = keras.optimizers.AdamW(learning_rate=0.1, weight_decay=0.1)
        for _ in range(3):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(ids) ** 2) + tf.reduce_sum(layer(ids))
            opt.apply_gradients(
                zip(
                    tape.gradient(loss, layer.trainable_variables),
                    layer.trainable_variables,
                    strict=True,
                )
            )
    assert (ours.embeddings.numpy()[padding_idx] == 0).all()
    assert np.abs(plain.embeddings.numpy()[padding_idx]).max() > 0
    out = as_np(ours(ids))
    assert (out[ids == padding_idx] == 0).all()
    np.testing.assert_array_equal(as_np(ours.compute_mask(ids)), ids != padding_idx)


def test_padding_idx_embedding_pad_row_gets_no_gradient():
    layer = pk.PaddingIdxEmbedding(5, 2, padding_idx=0)
    layer.build((None, None))
    layer.embeddings.assign(
        np.ones((5, 2), "float32")
    )  # even a non-zero pad row is never output
    with tf.GradientTape() as tape:
        out = layer(np.array([[1, 0, 0]]))
        loss = tf.reduce_sum(out)
    grad = tf.convert_to_tensor(tape.gradient(loss, layer.embeddings)).numpy()
    assert (grad[0] == 0).all()
    assert grad[1].tolist() == [1.0, 1.0]
    assert (as_np(out)[0, 1:] == 0).all()


@pytest.mark.parametrize("padding_idx", [0, 2, None])
def test_porting_keeps_outputs_and_gradients(padding_idx):
    from padguide.porting import keras_embedding_to_torch, torch_embedding_to_keras

    torch.manual_seed(0)
    module = torch.nn.Embedding(6, 3, padding_idx=padding_idx)
    layer = torch_embedding_to_keras(module)
    back = keras_embedding_to_torch(layer)
    assert back.padding_idx == module.padding_idx
    ids = np.array([[1, 2, 2, 0], [5, 2, 3, 3]])
    weights = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    for torch_side in (module, back):
        torch_side.zero_grad()
        out_t = torch_side(torch.as_tensor(ids))
        (out_t * torch.as_tensor(weights)).sum().backward()
        with tf.GradientTape() as tape:
            out_k = layer(ids)
            loss = tf.reduce_sum(out_k * weights)
        grad_k = tf.convert_to_tensor(tape.gradient(loss, layer.embeddings)).numpy()
        np.testing.assert_allclose(as_np(out_t), as_np(out_k), atol=1e-6)
        np.testing.assert_allclose(torch_side.weight.grad.numpy(), grad_k, atol=1e-6)


def test_porting_rejects_what_it_cannot_keep():
    from padguide.porting import keras_embedding_to_torch, torch_embedding_to_keras

    pretrained = torch.nn.Embedding.from_pretrained(torch.ones(4, 2), padding_idx=0)
    with pytest.raises(
        ValueError, match=r"module.weight\[0\] \(the pad row\) is non-zero"
    ):
        torch_embedding_to_keras(pretrained)
    with pytest.raises(TypeError, match=r"module must be a torch\.nn\.Embedding"):
        torch_embedding_to_keras(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="max_norm"):
        torch_embedding_to_keras(torch.nn.Embedding(4, 2, max_norm=1.0))
    with pytest.raises(TypeError, match=r"layer must be a keras\.layers\.Embedding"):
        keras_embedding_to_torch(keras.layers.Dense(2))
    with pytest.raises(ValueError, match="no weights yet"):
        keras_embedding_to_torch(keras.layers.Embedding(4, 2))


# --- bad input: a clear ValueError/TypeError naming the argument, in every framework ----------

IMPLS = [(pn, np.asarray), (pt, torch.as_tensor), (pk, np.asarray)]
X = np.zeros((2, 3, 4), np.float32)
MASK = np.ones((2, 3), bool)
BAD_CALLS = [
    (
        "lengths_to_mask",
        lambda w: ([3, 9],),
        {"max_len": 5},
        ValueError,
        r"lengths\[1\]=9 exceeds max_len=5",
    ),
    (
        "lengths_to_mask",
        lambda w: (w(np.array([2, -1])),),
        {},
        ValueError,
        r"lengths\[1\]=-1 is negative",
    ),
    (
        "lengths_to_mask",
        lambda w: (w(np.array([1.0, 2.0])),),
        {},
        TypeError,
        "lengths must hold integers",
    ),
    (
        "mask_to_lengths",
        lambda w: (w(np.array([[0, 2]])),),
        {},
        TypeError,
        "mask must be boolean or hold only 0 and 1",
    ),
    (
        "mask_to_lengths",
        lambda w: (w(np.array([True])),),
        {},
        ValueError,
        "mask must be two-dimensional",
    ),
    (
        "masked_mean",
        lambda w: (w(X), w(MASK[:, :2])),
        {},
        ValueError,
        r"expected x \(batch, time\[, features\]\) and mask",
    ),
    (
        "masked_sum",
        lambda w: (w(X), w(np.full((2, 3), 2))),
        {},
        TypeError,
        "mask must be boolean or hold only 0 and 1",
    ),
    ("masked_max", lambda w: (w(X[0, 0]), w(MASK)), {}, ValueError, "expected x"),
    ("masked_softmax", lambda w: (w(X), w(MASK[:1])), {}, ValueError, "mask must be"),
    (
        "masked_softmax",
        lambda w: (w(np.zeros((2, 3), np.int64)), w(MASK)),
        {},
        TypeError,
        "scores must be floating point",
    ),
    (
        "to_left_padding",
        lambda w: (w(X), w(np.array([1, 4]))),
        {},
        ValueError,
        r"lengths must lie in \[0, 3\]",
    ),
    (
        "to_right_padding",
        lambda w: (w(X), w(np.array([1, 2, 3]))),
        {},
        ValueError,
        "expected x",
    ),
    (
        "masked_cross_entropy",
        lambda w: (w(X), w(np.full((2, 3), 7)), w(MASK)),
        {},
        ValueError,
        r"targets at real positions must lie in \[0, 4\)",
    ),
    (
        "masked_cross_entropy",
        lambda w: (w(X), w(np.full((2, 3), 0.5, np.float32)), w(MASK)),
        {},
        TypeError,
        "targets must hold integer",
    ),
]


@pytest.mark.parametrize(("impl", "wrap"), IMPLS, ids=["numpy", "torch", "keras"])
@pytest.mark.parametrize(
    ("name", "args", "kwargs", "error", "match"),
    BAD_CALLS,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)],
)
def test_bad_input_is_named(impl, wrap, name, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(impl, name)(*args(wrap), **kwargs)


def test_framework_only_recipes_reject_bad_input():
    with pytest.raises(ValueError, match="padding_idx must be an int >= 0"):
        pt.mask_from_ids(torch.tensor([[1]]), padding_idx=-1)
    with pytest.raises(TypeError, match="ids must hold integers"):
        pt.mask_from_ids(torch.tensor([[1.0]]))
    with pytest.raises(ValueError, match="mask must be two-dimensional"):
        pt.sdpa_mask(torch.ones(3, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be boolean"):
        pt.key_padding_mask(torch.tensor([[2, 0]]))
    with pytest.raises(ValueError, match="mask must be two-dimensional"):
        pk.attention_mask(np.ones(3, bool))
    with pytest.raises(
        ValueError, match=r"padding_idx must lie in \[0, input_dim=5\), got 5"
    ):
        pk.PaddingIdxEmbedding(5, 2, padding_idx=5)
    with pytest.raises(TypeError, match="output_dim must be an int"):
        pk.PaddingIdxEmbedding(5, 2.0)


def test_keras_recipes_run_inside_a_compiled_function():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype("float32")
    lengths = np.array([3, 0])
    mask = np.arange(4)[None, :] < lengths[:, None]
    targets = np.where(mask, 1, 0)

    @tf.function
    def compiled(x, lengths, mask, targets):
        return (
            pk.masked_mean(x, mask),
            pk.masked_max(x, keras.ops.cast(mask, "int32")),
            pk.masked_softmax(x[..., 0], mask),
            pk.masked_cross_entropy(x, targets, mask),
            pk.to_left_padding(x, lengths),
            pk.lengths_to_mask(lengths),
        )

    for got, want in zip(
        compiled(x, lengths, mask, targets),
        (
            pn.masked_mean(x, mask),
            pn.masked_max(x, mask),
            pn.masked_softmax(x[..., 0], mask),
            pn.masked_cross_entropy(x, targets, mask),
            pn.to_left_padding(x, lengths),
            pn.lengths_to_mask(lengths),
        ),
        strict=True,
    ):
        np.testing.assert_allclose(as_np(got), want, rtol=TOL, atol=TOL)


# --- recipes where people put them: eager tensors, half precision, unknown shapes ------------
# Each test below failed on the recipes as they were before "values are checked
# when concrete" (see tests/test_contexts.py for the whole context matrix).

BAD_TENSOR_CALLS = [
    ("lengths_to_mask", lambda: pk.lengths_to_mask(tf.constant([5, 1]), max_len=3), ValueError, r"lengths\[0\]=5 exceeds max_len=3"),
    ("mask 2", lambda: pk.masked_mean(tf.zeros((1, 3)), tf.constant([[1, 2, 0]])), TypeError, "mask must be boolean or hold only 0 and 1"),
    ("mask -1", lambda: pk.masked_sum(tf.zeros((1, 3)), tf.constant([[1, -1, 0]])), TypeError, "mask must be boolean"),
    ("mask 0.5", lambda: pk.masked_softmax(tf.zeros((1, 3)), tf.constant([[1.0, 0.5, 0.0]])), TypeError, "mask must be boolean"),
    ("mask max", lambda: pk.masked_max(tf.zeros((1, 3)), tf.constant([[3, 0, 0]])), TypeError, "mask must be boolean"),
    ("to_left_padding", lambda: pk.to_left_padding(tf.zeros((2, 3)), tf.constant([4, 1])), ValueError, r"lengths must lie in \[0, 3\]"),
    ("to_right_padding", lambda: pk.to_right_padding(tf.zeros((2, 3)), tf.constant([-1, 1])), ValueError, "lengths must lie in"),
    ("target -1", lambda: pk.masked_cross_entropy(tf.zeros((1, 2, 3)), tf.constant([[-1, 0]]), tf.constant([[True, False]])), ValueError, "targets at real positions"),
    ("target 0.5", lambda: pk.masked_cross_entropy(tf.zeros((1, 2, 3)), tf.constant([[0.5, 0.0]]), tf.constant([[True, False]])), TypeError, "targets must hold integer class ids"),
    ("embedding id -1", lambda: pk.PaddingIdxEmbedding(5, 2)(tf.constant([[1, -1]])), ValueError, r"ids must lie in \[0, input_dim=5\)"),
    ("attention_mask", lambda: pk.attention_mask(tf.constant([[1, 2]])), TypeError, "mask must be boolean"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [c[1:] for c in BAD_TENSOR_CALLS],
    ids=[c[0] for c in BAD_TENSOR_CALLS],
)
def test_keras_checks_values_of_eager_tensors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_half_precision_sums_do_not_overflow():
    big = np.full(
        (1, 100), 1000.0, np.float16
    )  # a plain mean is 1000, a float16 sum inf
    many = np.ones((1, 70_000), np.float16)  # more positions than float16 counts
    ones = np.ones((1, 70_000), bool)
    logits = np.zeros((1, 16_384, 67), np.float16)  # ~4.2 per token: 68,900 in all
    targets, mask = np.zeros((1, 16_384), np.int64), np.ones((1, 16_384), bool)
    for dtype in (torch.float16, torch.bfloat16):
        assert (
            float(
                pt.masked_mean(
                    torch.as_tensor(big).to(dtype), torch.ones(1, 100, dtype=torch.bool)
                )
            )
            == 1000
        )
        assert (
            float(
                pt.masked_mean(torch.as_tensor(many).to(dtype), torch.as_tensor(ones))
            )
            == 1
        )
        loss = pt.masked_cross_entropy(
            torch.as_tensor(logits).to(dtype),
            torch.as_tensor(targets),
            torch.as_tensor(mask),
        )
        assert loss.dtype == dtype
        assert abs(float(loss) - np.log(67)) < 0.02
    for dtype in ("float16", "bfloat16"):
        half = lambda a, d=dtype: keras.ops.cast(a, d)
        assert float(pk.masked_mean(half(big), np.ones((1, 100), bool))[0]) == 1000
        assert float(pk.masked_mean(half(many), ones)[0]) == 1
        loss = pk.masked_cross_entropy(half(logits), targets, mask)
        assert keras.backend.standardize_dtype(loss.dtype) == dtype
        assert abs(float(loss) - np.log(67)) < 0.02
    assert float(pn.masked_mean(big, np.ones((1, 100), bool))[0]) == 1000
    assert float(pn.masked_mean(many, ones)[0]) == 1
    assert (
        abs(float(pn.masked_cross_entropy(logits, targets, mask)) - np.log(67)) < 0.02
    )
    assert np.isfinite(pn.masked_cross_entropy(logits, targets, mask))  # fmt: skip


def test_keras_recipes_build_on_unknown_batch_and_time_and_in_bfloat16():
    class Probe(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def compute_mask(self, inputs, mask=None):
            return None

        def call(self, h, mask=None):
            lengths = pk.mask_to_lengths(mask)
            return (
                pk.masked_softmax(keras.ops.sum(h, -1), mask),
                pk.to_left_padding(h, lengths),
                pk.to_right_padding(h, lengths),
                pk.attention_mask(mask, causal=True),
                pk.masked_max(h, mask),
            )

    ids = keras.Input((None,), dtype="int32")
    outputs = Probe()(keras.layers.Embedding(9, 3, mask_zero=True)(ids))
    model = keras.Model(ids, outputs)
    batch = np.array([[3, 4, 0], [5, 0, 0]])
    got = [as_np(o) for o in model(batch)]
    assert got[3].shape == (2, 3, 3)
    h = tf.constant(np.random.default_rng(0).standard_normal((2, 3, 4)), tf.bfloat16)
    mask = batch != 0
    f32 = lambda t: as_np(tf.cast(t, tf.float32))
    largest = pk.masked_max(h, mask)
    assert keras.backend.standardize_dtype(largest.dtype) == "bfloat16"
    np.testing.assert_allclose(f32(largest), pn.masked_max(f32(h), mask))
    probs = pk.masked_softmax(h[..., 0], mask)
    assert keras.backend.standardize_dtype(probs.dtype) == "bfloat16"
    np.testing.assert_allclose(f32(probs), pn.masked_softmax(f32(h[..., 0]), mask), atol=1e-2)  # fmt: skip


def test_masked_cross_entropy_works_as_a_compiled_keras_loss():
    keras.utils.set_random_seed(0)
    ids = keras.Input((None,), dtype="int32")
    logits = keras.layers.Dense(5)(keras.layers.Embedding(5, 3, mask_zero=True)(ids))
    model = keras.Model(ids, logits)
    model.compile("sgd", loss=lambda y, p: pk.masked_cross_entropy(p, y, y != 0))
    batch = np.array([[1, 2, 0], [3, 0, 0]])
    loss = model.evaluate(batch, batch, verbose=0)
    want = pn.masked_cross_entropy(as_np(model(batch)), batch, batch != 0)
    np.testing.assert_allclose(loss, want, rtol=1e-5)


def test_torch_recipes_accept_lists_and_numpy():
    x, mask = np.ones((2, 3, 2), np.float32), [[1, 1, 0], [1, 0, 0]]
    assert pt.masked_mean(x, mask).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert pt.masked_sum(x.tolist(), mask).tolist() == [[2.0, 2.0], [1.0, 1.0]]
    assert pt.masked_max(x, mask).shape == (2, 2)
    assert pt.masked_softmax(x[..., 0], mask)[0].tolist() == [0.5, 0.5, 0.0]
    assert pt.to_left_padding([[7, 8, 0]], [2]).tolist() == [[0, 7, 8]]
    assert pt.to_right_padding(np.array([[0, 7, 8]]), np.array([2])).tolist() == [
        [7, 8, 0]
    ]
    assert float(pt.masked_cross_entropy(x, [[0, 1, 0], [1, 0, 0]], mask)) > 0
    assert pt.mask_from_ids([[3, 0]]).tolist() == [[True, False]]
    assert pt.key_padding_mask(mask).tolist() == [
        [False, False, True],
        [False, True, True],
    ]
    assert pt.sdpa_mask(mask).shape == (2, 1, 3, 3)  # fmt: skip


# Keras' own Dense.save_own_variables converts a tf.Variable with np.array (NumPy 2 warns).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_keras_layers_load_without_custom_objects(tmp_path):
    ids = keras.Input((None,), dtype="int32")
    model = keras.Model(
        ids, pk.MaskedDense(2)(pk.PaddingIdxEmbedding(6, 3, padding_idx=1)(ids))
    )
    batch = np.array([[2, 3, 1]])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(as_np(loaded(batch)), as_np(model(batch)))
    assert {type(layer).__name__ for layer in loaded.layers} >= {"MaskedDense", "PaddingIdxEmbedding"}  # fmt: skip
