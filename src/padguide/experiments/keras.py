"""Keras experiments: ``Embedding(mask_zero=True)``, the mask and the layers that consume it.

Keras is reached through :func:`padguide.keras_backend.get_keras`, so the same
experiments run on Keras 3 and on Keras 2 (``tf-keras``). Seeded, and returning
numpy data (see :mod:`padguide.results`). The claims about them are in
``padguide.claims.keras``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from padguide.example import CLASSIC_IDS
from padguide.keras import MaskedDense, PaddingIdxEmbedding, masked_softmax
from padguide.keras_backend import get_keras, is_keras3
from padguide.results import EmbeddingRun, SparseGradient, check_ids

__all__ = [
    "CONSUMERS",
    "LAYERS",
    "LayerMasking",
    "MaskedLoss",
    "OutOfRange",
    "all_padding_average",
    "embedding_run",
    "guide_temporal_softmax",
    "keras_adam_is_lazy",
    "layer_masking",
    "masked_loss_run",
    "masking_table",
    "mha_attention_to_padding",
    "out_of_range_run",
    "pad_row_drift",
    "pad_row_under_adamw",
    "pad_sequences_default",
    "padded_attention",
    "padding_idx_outputs",
    "polarity_keras",
    "seed_experiment",
    "train_on_batch_traces",
    "twelfth_night_experiment",
]

CONSUMERS = ("masked", "dense")
"""Choices for the layer after the embedding, ``MaskedDense`` (consumes the mask) or ``Dense``."""


def _masked_dense_type(K):
    """``MaskedDense`` for the selected Keras (the recipe on Keras 3, its twin on Keras 2)."""
    if is_keras3(K):
        return MaskedDense

    class Keras2MaskedDense(K.layers.Dense):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            outputs = super().call(inputs)
            if mask is None:
                return outputs
            keep = tf.cast(mask, tf.bool)[..., None]
            return tf.where(keep, outputs, tf.zeros_like(outputs))

        def compute_mask(self, inputs, mask=None):
            return mask

    return Keras2MaskedDense


def _version(K) -> str:
    return f"Keras {K.__version__} (TensorFlow {tf.__version__})"


def embedding_run(
    ids: np.ndarray,
    tokens: list[str],
    dim: int = 1,
    *,
    consumer: str = "masked",
    seed: int = 0,
    weight: np.ndarray | None = None,
    dense_kernel: np.ndarray | None = None,
    dense_bias: np.ndarray | None = None,
    position_weights: np.ndarray | None = None,
) -> EmbeddingRun:
    """``Embedding(mask_zero=True)`` → ``MaskedDense(1)`` or ``Dense(1)`` → weight per position → sum.

    Any of ``weight``, ``dense_kernel``, ``dense_bias`` and ``position_weights``
    that is given replaces Keras' seeded initial value, so that PyTorch and
    Keras can start from the same numbers.
    """
    if consumer not in CONSUMERS:
        raise ValueError(f"consumer must be one of {CONSUMERS}, got {consumer!r}")
    K = get_keras()
    ids = check_ids(ids, tokens)
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(len(tokens), dim, mask_zero=True)
    dense = (_masked_dense_type(K) if consumer == "masked" else K.layers.Dense)(1)
    emb.build((None, None))
    dense.build((None, None, dim))
    if weight is not None:
        emb.embeddings.assign(np.asarray(weight, np.float32))
    if dense_kernel is not None:
        dense.kernel.assign(np.asarray(dense_kernel, np.float32).reshape(dim, 1))
    if dense_bias is not None:
        dense.bias.assign(np.asarray(dense_bias, np.float32).reshape(1))
    if position_weights is None:
        position_weights = np.random.default_rng(seed).standard_normal(ids.shape)
    position_weights = np.asarray(position_weights, np.float32)

    weight_before = np.array(emb.embeddings.numpy())
    inputs = tf.constant(ids)
    with tf.GradientTape() as tape:
        embedded = emb(inputs)
        mask = emb.compute_mask(inputs)
        outputs = tf.squeeze(dense(embedded), -1)  # Keras passes the mask along itself
        loss = tf.reduce_sum(outputs * position_weights)
    (grad,) = tape.gradient(loss, [emb.embeddings])
    sparse = None
    if isinstance(grad, tf.IndexedSlices):
        sparse = SparseGradient(
            indices=grad.indices.numpy(),
            values=grad.values.numpy(),
            dense_shape=tuple(int(n) for n in grad.dense_shape.numpy()),
            kind="tf.IndexedSlices",
        )
    return EmbeddingRun(
        framework=_version(K),
        ids=ids,
        tokens=list(tokens),
        weight=weight_before,
        outputs=outputs.numpy(),
        position_weights=position_weights,
        loss=float(loss.numpy()),
        gradient=tf.convert_to_tensor(grad).numpy(),
        mask=mask.numpy(),
        sparse=sparse,
        notes={
            "consumer": type(dense).__name__,
            "gradient_type": type(grad).__name__,
            "dense_kernel": np.asarray(dense.kernel.numpy()).ravel(),
        },
    )


def seed_experiment(consumer: str = "masked", seed: int = 0) -> EmbeddingRun:
    """The classic demonstration's ids through Keras, with Keras' own initial weights."""
    tokens = ["<pad>", *(f"id{i}" for i in range(1, 7))]
    return embedding_run(CLASSIC_IDS, tokens, dim=1, consumer=consumer, seed=seed)


def twelfth_night_experiment(
    consumer: str = "masked", seed: int = 0, dim: int = 4
) -> EmbeddingRun:
    """The running example from Act 2, Scene 4, through Keras."""
    from padguide.example import running_example

    example = running_example()
    return embedding_run(
        example.ids, example.vocab.tokens, dim=dim, consumer=consumer, seed=seed
    )


# --- which layers consume the mask -------------------------------------------------------

LAYERS = (
    "LSTM",
    "GRU",
    "GlobalAveragePooling1D",
    "MultiHeadAttention",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "LayerNormalization",
    "Activation",
    "GlobalMaxPooling1D",
    "Conv1D",
)
"""The layers the book checks, in the order it shows them."""


@dataclass(frozen=True)
class LayerMasking:
    layer: str
    max_difference: float
    """Largest difference between the padded and the unpadded run, over real positions."""
    output_has_mask: bool
    warning: str
    """What Keras warned, if anything, when the layer met a mask."""
    pad_output: float
    """Largest magnitude of the layer's output at padded positions (sequence outputs only)."""

    @property
    def padded_equals_unpadded(self) -> bool:
        return self.max_difference < 1e-5


def layer_masking(
    layer: str, seed: int = 0, *, mask_zero: bool = True, side: str = "right"
) -> LayerMasking:
    """Run ``layer`` on a padded batch and on the unpadded sequence, and compare.

    ``mask_zero=False`` is the control: the same weights and ids, no mask.
    ``side`` is where the padding goes. ``BatchNormalization`` runs in
    training mode (batch statistics), ``Dropout`` in inference mode.
    """
    if layer not in LAYERS:
        raise ValueError(f"layer must be one of {LAYERS}, got {layer!r}")
    if side not in ("right", "left"):
        raise ValueError(f"side must be 'right' or 'left', got {side!r}")
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(8, 4, mask_zero=mask_zero)
    emb.build((None, None))
    # A large pad row makes any leak of padding into the result plain to see.
    weights = emb.embeddings.numpy()
    weights[0] = 5.0 + np.arange(weights.shape[1])  # large, and not constant
    emb.embeddings.assign(weights)
    settings = {
        "LSTM": {"units": 3},
        "GRU": {"units": 3},
        "Dense": {"units": 3},
        "MultiHeadAttention": {"num_heads": 2, "key_dim": 2},
        "Dropout": {"rate": 0.5},
        "Activation": {"activation": "tanh"},
        "Conv1D": {"filters": 3, "kernel_size": 3, "padding": "same"},
    }
    # Named: a warning quoted as evidence names its layer, and an automatic name
    # ('conv1d_57') depends on how many layers this process built before.
    # The name is Keras's own default for the first such layer ('global_max_pooling1d').
    name = re.sub(
        r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", layer)
    )
    lay = getattr(K.layers, layer)(**settings.get(layer, {}), name=name.lower())

    def apply(x):
        if layer == "MultiHeadAttention":
            return lay(x, x)
        if layer == "BatchNormalization":
            return lay(x, training=True)
        return lay(x)

    real = np.array([[3, 1, 4, 6]])
    padded = np.array([[3, 1, 4, 6, 0, 0]] if side == "right" else [[0, 0, 3, 1, 4, 6]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unpadded_out = apply(emb(real))
        padded_out = apply(emb(padded))
    padded_np, unpadded_np = np.asarray(padded_out), np.asarray(unpadded_out)
    sequence_output = padded_np.ndim == 3
    at_real = (
        slice(None, real.shape[1]) if side == "right" else slice(-real.shape[1], None)
    )
    at_pad = (
        slice(real.shape[1], None) if side == "right" else slice(None, -real.shape[1])
    )
    if sequence_output:
        diff = np.abs(padded_np[:, at_real] - unpadded_np).max()
        pad_output = float(np.abs(padded_np[:, at_pad]).max())
    else:
        diff = np.abs(padded_np - unpadded_np).max()
        pad_output = float("nan")
    out_mask = getattr(padded_out, "_keras_mask", None)
    message = next(
        (str(w.message).strip() for w in caught if "mask" in str(w.message)), ""
    )
    return LayerMasking(layer, float(diff), out_mask is not None, message, pad_output)


def masking_table(seed: int = 0):
    """:func:`layer_masking` for every layer in :data:`LAYERS`, as a table for a page."""
    import pandas as pd

    results = [layer_masking(layer, seed) for layer in LAYERS]
    table = pd.DataFrame(
        {
            "real positions: padded == unpadded": [
                r.padded_equals_unpadded for r in results
            ],
            "largest difference": [r.max_difference for r in results],
            "largest output at pad positions": [r.pad_output for r in results],
            "output carries the mask": [r.output_has_mask for r in results],
            "Keras warned": [bool(r.warning) for r in results],
        },
        index=[r.layer for r in results],
    )
    return table.round(4).fillna("(pooled)")


@dataclass(frozen=True)
class MaskedLoss:
    with_mask: float
    mean_over_real: float
    mean_over_all: float
    ignore_class: float
    without_mask: float
    """The same loss on the same logits with no mask attached (the control)."""


def masked_loss_run(seed: int = 0) -> MaskedLoss:
    """A loss on predictions that carry a mask averages over the real positions only."""
    K = get_keras()
    rng = np.random.default_rng(seed)
    targets = np.array([[2, 1, 3, 0, 0], [1, 1, 0, 0, 0]])
    logits = rng.standard_normal((2, 5, 4)).astype(np.float32)
    mask = targets != 0
    per_token = K.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction="none"
    )(targets, logits).numpy()
    masked_logits = tf.constant(logits)
    masked_logits._keras_mask = tf.constant(mask)  # what a masking layer attaches
    loss = K.losses.SparseCategoricalCrossentropy(from_logits=True)
    ignoring = K.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    return MaskedLoss(
        with_mask=float(loss(targets, masked_logits).numpy()),
        mean_over_real=float(per_token[mask].mean()),
        mean_over_all=float(per_token.mean()),
        ignore_class=float(ignoring(targets, logits).numpy()),
        without_mask=float(loss(targets, tf.constant(logits)).numpy()),
    )


@dataclass(frozen=True)
class OutOfRange:
    minus_one_is_last_row: bool
    minus_one_error: str
    input_dim_error: str
    minus_100_reads_row: int | None
    """In ``Embedding(1000, 2)``, the row id -100 reads (``None`` if it raised)."""
    minus_input_dim_is_first_row: bool
    """Whether id ``-input_dim`` read row 0."""
    below_minus_input_dim_error: str
    """What id ``-input_dim - 1`` raised."""
    tf_gather_minus_one_error: str
    """What raw ``tf.gather(table, [-1])`` raised (the control)."""


def out_of_range_run(seed: int = 0) -> OutOfRange:
    """Ids outside ``[0, input_dim)`` through ``Embedding`` (CPU)."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(5, 2)
    emb.build((None,))
    errors = {}
    looked_up = {}
    cases = (
        ("minus_one", [-1]),
        ("input_dim", [5]),
        ("minus_input_dim", [-5]),
        ("below", [-6]),
    )
    for name, ids in cases:
        try:
            looked_up[name] = np.asarray(emb(np.array(ids)))[0]
            errors[name] = ""
        except (tf.errors.InvalidArgumentError, IndexError, ValueError) as err:
            errors[name] = type(err).__name__
    last_row = emb.embeddings.numpy()[-1]
    is_last = "minus_one" in looked_up and bool(
        np.allclose(looked_up["minus_one"], last_row)
    )
    big = K.layers.Embedding(1000, 2)
    big.build((None,))
    try:
        out = np.asarray(big(np.array([-100])))[0]
        table = big.embeddings.numpy()
        match = np.flatnonzero((table == out).all(axis=1))
        minus_100 = int(match[0]) if len(match) == 1 else None
    except tf.errors.InvalidArgumentError:
        minus_100 = None
    try:
        tf.gather(emb.embeddings, [-1])
        gather_error = ""
    except tf.errors.InvalidArgumentError as err:
        gather_error = type(err).__name__
    return OutOfRange(
        is_last,
        errors["minus_one"],
        errors["input_dim"],
        minus_100,
        "minus_input_dim" in looked_up
        and bool(np.allclose(looked_up["minus_input_dim"], emb.embeddings.numpy()[0])),
        errors["below"],
        gather_error,
    )


def keras_adam_is_lazy(seed: int = 0) -> dict[str, float]:
    """Does Keras' Adam leave a row alone in a step whose batch does not contain it?

    Step 1 looks up id 3; step 2 does not. Returns how far row 3 moved in step 2
    under Adam, SGD with momentum and plain SGD.
    """
    K = get_keras()
    moved = {}
    for name, make in (
        ("Adam", lambda: K.optimizers.Adam(0.1)),
        ("SGD(momentum=0.9)", lambda: K.optimizers.SGD(0.1, momentum=0.9)),
        ("SGD", lambda: K.optimizers.SGD(0.1)),
    ):
        K.utils.set_random_seed(seed)
        emb = K.layers.Embedding(5, 2)
        emb.build((None,))
        opt = make()
        row3 = []
        for batch in (np.array([1, 3]), np.array([1, 2])):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(emb(batch) ** 2)
            grads = tape.gradient(loss, emb.trainable_variables)
            row3.append(emb.embeddings.numpy()[3].copy())
            opt.apply_gradients(zip(grads, emb.trainable_variables, strict=True))
        moved[name] = float(np.abs(emb.embeddings.numpy()[3] - row3[1]).max())
    return moved


def pad_row_drift(
    consumer: str, optimizer: str = "SGD", steps: int = 5, seed: int = 0
) -> float:
    """How far row 0 moves in ``steps`` training steps on the classic ids.

    ``optimizer`` is ``"SGD"``, ``"AdamW"`` (weight decay 0.1) or
    ``"AdamW(weight_decay=0)"`` (the control).
    """
    if consumer not in CONSUMERS:
        raise ValueError(f"consumer must be one of {CONSUMERS}, got {consumer!r}")
    K = get_keras()
    makers = {
        "SGD": lambda: K.optimizers.SGD(0.1),
        "AdamW": lambda: K.optimizers.AdamW(0.1, weight_decay=0.1),
        "AdamW(weight_decay=0)": lambda: K.optimizers.AdamW(0.1, weight_decay=0.0),
    }
    if optimizer not in makers:
        raise ValueError(
            f"optimizer must be one of {sorted(makers)}, got {optimizer!r}"
        )

    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(7, 3, mask_zero=True)
    dense = (_masked_dense_type(K) if consumer == "masked" else K.layers.Dense)(1)
    emb.build((None, None))
    dense.build((None, None, 3))
    variables = [*emb.trainable_variables, *dense.trainable_variables]
    opt = makers[optimizer]()
    start = emb.embeddings.numpy()[0].copy()
    inputs = tf.constant(CLASSIC_IDS)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(dense(emb(inputs)) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return float(np.abs(emb.embeddings.numpy()[0] - start).max())


def guide_temporal_softmax(ids=((3, 4, 0, 0),), seed: int = 0) -> dict[str, np.ndarray]:
    """The ``TemporalSoftmax`` layer of the Keras guide "Understanding masking & padding".

    Rebuilt as the guide writes it (``Embedding(10, 32, mask_zero=True)`` →
    ``Dense(1)`` → exponentials times the mask, divided by their sum over the
    *last* axis, which after ``Dense(1)`` has size 1), next to
    :func:`padguide.keras.masked_softmax` over the time axis of the same scores.
    """
    K = get_keras()
    K.utils.set_random_seed(seed)
    ids = np.asarray(ids)
    emb = K.layers.Embedding(input_dim=10, output_dim=32, mask_zero=True)
    dense = K.layers.Dense(1)
    scores = dense(emb(ids))
    mask = emb.compute_mask(ids)
    # The guide's call(): note the sum over axis=-1, not over time.
    broadcast_float_mask = tf.expand_dims(tf.cast(mask, "float32"), -1)
    inputs_exp = tf.exp(scores) * broadcast_float_mask
    inputs_sum = tf.reduce_sum(
        inputs_exp * broadcast_float_mask, axis=-1, keepdims=True
    )
    with np.errstate(invalid="ignore"):
        guide = (inputs_exp / inputs_sum).numpy()[..., 0]
    ours = np.asarray(masked_softmax(np.asarray(scores)[..., 0], np.asarray(mask)))
    return {"ids": ids, "guide": guide, "masked_softmax": ours}


def pad_row_under_adamw(
    padding_idx: int = 1, steps: int = 5, seed: int = 0
) -> dict[str, dict[str, float]]:
    """The pad row under ``steps`` of AdamW (weight decay 0.1), ours and Keras'.

    Both layers see the same batch, padded with ``padding_idx``; Keras'
    ``Embedding`` has no notion of a pad id other than 0, so its row
    ``padding_idx`` is an ordinary row. For each layer: the largest magnitude
    of the row at the start, how far it moved, and the largest output at a
    pad position after training.
    """
    K = get_keras()
    ids = np.array([[2, 3, 4, padding_idx], [5, padding_idx, padding_idx, padding_idx]])
    result = {}
    makers = {
        "PaddingIdxEmbedding": lambda: PaddingIdxEmbedding(
            8, 3, padding_idx=padding_idx
        ),
        "keras.layers.Embedding": lambda: K.layers.Embedding(8, 3),
    }
    for name, make in makers.items():
        # Before construction: initializers draw their seeds then.
        K.utils.set_random_seed(seed)
        layer = make()
        layer.build((None, None))
        start = layer.embeddings.numpy()[padding_idx].copy()
        opt = K.optimizers.AdamW(learning_rate=0.1, weight_decay=0.1)
        for _ in range(steps):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(layer(ids) ** 2)
            grads = tape.gradient(loss, layer.trainable_variables)
            opt.apply_gradients(zip(grads, layer.trainable_variables, strict=True))
        row = layer.embeddings.numpy()[padding_idx]
        result[name] = {
            "row at the start": float(np.abs(start).max()),
            "row moved": float(np.abs(row - start).max()),
            "output at pad": float(
                np.abs(np.asarray(layer(ids))[ids == padding_idx]).max()
            ),
        }
    return result


def padding_idx_outputs(
    value: float = 0.5, padding_idx: int = 1
) -> dict[str, list[float]]:
    """The output at a pad position once row ``padding_idx`` holds ``value``.

    ``PaddingIdxEmbedding`` against ``torch.nn.Embedding(padding_idx=...)``
    with the same row written into it.
    """
    import torch

    ids = np.array([[2, padding_idx]])
    ours = PaddingIdxEmbedding(4, 3, padding_idx=padding_idx)
    ours.build((None, None))
    weights = ours.embeddings.numpy()
    weights[padding_idx] = value
    ours.embeddings.assign(weights)
    theirs = torch.nn.Embedding(4, 3, padding_idx=padding_idx)
    with torch.no_grad():
        theirs.weight[padding_idx] = value
    return {
        "row": weights[padding_idx].tolist(),
        "PaddingIdxEmbedding": np.asarray(ours(ids))[0, 1].tolist(),
        "torch.nn.Embedding": theirs(torch.as_tensor(ids))[0, 1].tolist(),
    }


def mha_attention_to_padding(seed: int = 0, mask_zero: bool = True) -> float:
    """The largest attention score any query of ``MultiHeadAttention`` gives a pad key.

    Embedding(mask_zero) → self-attention on ``[[3, 1, 4, 0, 0]]``;
    ``mask_zero=False`` is the control.
    """
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(8, 4, mask_zero=mask_zero)
    mha = K.layers.MultiHeadAttention(num_heads=2, key_dim=2)
    ids = np.array([[3, 1, 4, 0, 0]])
    h = emb(ids)
    _, scores = mha(h, h, return_attention_scores=True)
    return float(np.asarray(scores)[..., ids[0] == 0].max())


def all_padding_average(seed: int = 0) -> dict[str, list[float]]:
    """``GlobalAveragePooling1D`` after ``Embedding(mask_zero=True)``: a real row and an all-pad row."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    emb = K.layers.Embedding(8, 3, mask_zero=True)
    pooled = np.asarray(
        K.layers.GlobalAveragePooling1D()(emb(np.array([[3, 1, 0], [0, 0, 0]])))
    )
    return {"real row": pooled[0].tolist(), "all-padding row": pooled[1].tolist()}


def train_on_batch_traces(lengths=(3, 5, 6, 7, 9, 12, 13, 17), seed: int = 0) -> list:
    """Shapes the model's ``call`` was traced with over ``train_on_batch`` on each length.

    A layer appends the shape it is called with; under ``tf.function`` that
    happens once per trace.
    """
    K = get_keras()
    traced = []

    class Count(K.layers.Layer):
        def call(self, x):
            traced.append([None if d is None else int(d) for d in x.shape])
            return x

    K.utils.set_random_seed(seed)
    model = K.Sequential(
        [
            K.layers.Embedding(20, 4),
            Count(),
            K.layers.GlobalAveragePooling1D(),
            K.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.build((None, None))
    traced.clear()
    for n in lengths:
        model.train_on_batch(np.ones((2, n), "int32"), np.zeros((2, 1), "float32"))
    return traced


# --- pitfalls ------------------------------------------------------------------------------


def polarity_keras(seed: int = 0) -> dict[str, str]:
    """What ``True`` means in Keras' masks, found by running them."""
    K = get_keras()
    K.utils.set_random_seed(seed)
    x = np.random.default_rng(seed).standard_normal((1, 3, 4)).astype("float32")
    mha = K.layers.MultiHeadAttention(num_heads=1, key_dim=4)
    marked = np.array(
        [[[True, False, False]] * 3]
    )  # (batch, query, key): only key 0 marked
    _, scores = mha(x, x, attention_mask=marked, return_attention_scores=True)
    mha_meaning = "attend" if float(np.asarray(scores)[0, 0, 0, 0]) > 0.99 else "ignore"
    emb = K.layers.Embedding(5, 2, mask_zero=True)
    embedding_mask = np.asarray(emb.compute_mask(np.array([[3, 0]])))[0]
    embedding_meaning = (
        "keep (real token)" if embedding_mask.tolist() == [True, False] else "drop"
    )
    return {
        "keras.layers.MultiHeadAttention(attention_mask=...)": mha_meaning,
        "Embedding(mask_zero=True).compute_mask": embedding_meaning,
    }


def pad_sequences_default() -> tuple[list[list[int]], list[list[int]]]:
    """``keras.utils.pad_sequences`` with its defaults: ``[[1, 2, 3], [4]]`` padded, and
    ``[[1, 2, 3]]`` truncated to ``maxlen=2``."""
    K = get_keras()
    return (
        K.utils.pad_sequences([[1, 2, 3], [4]]).tolist(),
        K.utils.pad_sequences([[1, 2, 3]], maxlen=2).tolist(),
    )


def padded_attention(seed: int = 0) -> dict[str, float]:
    """``MultiHeadAttention`` over a padded batch against each sequence alone (lengths 5, 3, 1).

    With padguide's ``attention_mask`` recipe and, as the control, without a
    mask. The largest difference over the real positions.
    """
    from padguide.keras import attention_mask
    from padguide.numpy import lengths_to_mask

    K = get_keras()
    lengths = [5, 3, 1]
    x = np.random.default_rng(seed).standard_normal((3, 5, 4)).astype(np.float32)
    mask = lengths_to_mask(np.array(lengths))
    K.utils.set_random_seed(seed)
    mha = K.layers.MultiHeadAttention(num_heads=2, key_dim=2)

    def worst(padded) -> float:
        padded = np.asarray(padded)
        return max(
            float(
                np.abs(
                    padded[b, :n]
                    - np.asarray(mha(x[b : b + 1, :n], x[b : b + 1, :n]))[0]
                ).max()
            )
            for b, n in enumerate(lengths)
        )

    return {
        "keras MultiHeadAttention + attention_mask": worst(
            mha(x, x, attention_mask=attention_mask(mask))
        ),
        "keras MultiHeadAttention, no mask": worst(mha(x, x)),
    }
