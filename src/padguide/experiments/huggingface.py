"""Hugging Face experiments: ``attention_mask``, ``padding_side``, -100 labels, collators.

Nothing is downloaded: the tokenizer is a byte-level BPE trained on *Twelfth
Night* with :mod:`tokenizers`, and the models are a 2-layer GPT-2 and a
2-layer BERT built from configs with random, seeded weights. Every function
returns numpy data or plain numbers. The claims about them are in
:mod:`padguide.claims.huggingface`.
"""

from __future__ import annotations

import functools
import os
import warnings
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

try:
    import tokenizers
    import torch
    import torch.nn.functional as F

    with warnings.catch_warnings():
        # In a Jupyter kernel without ipywidgets, tqdm.auto warns on import (on
        # stderr, which fails a page); this module shows no progress bars at all.
        warnings.filterwarnings("ignore", message="IProgress not found")
        import tqdm.auto  # noqa: F401 -- imported once, here, under the filter
        import transformers
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "padguide.experiments.huggingface needs transformers and tokenizers: "
        "pip install 'padguide[huggingface]' (see constraints.txt for the versions)"
    ) from err

from padguide.corpus import twelfth_night

transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()

__all__ = [
    "EOS",
    "LINES",
    "PAD",
    "AppendRun",
    "CollatorRun",
    "LabelRun",
    "MaskRun",
    "PaddedBatch",
    "append_run",
    "bert",
    "bert_mask_run",
    "collator_run",
    "gpt2",
    "keras_minus_100",
    "label_run",
    "pad_eos_run",
    "pad_eos_table",
    "padded_batch",
    "tokenizer",
]

PAD, UNK, EOS = "[PAD]", "[UNK]", "<|endoftext|>"
SPECIAL = (PAD, UNK, EOS)
"""Special tokens, in id order: ``[PAD]`` is id 0, as everywhere in this book."""

VOCAB_SIZE = 400


def _lines() -> tuple[str, ...]:
    """The first line of each of the play's first four speeches."""
    return tuple(s.text.splitlines()[0] for s in twelfth_night()[:4])


LINES = _lines()
"""The running batch: four first lines of speeches, of unequal length."""


@functools.cache
def _tokenizer_json(vocab_size: int = VOCAB_SIZE) -> str:
    """A byte-level BPE trained on the whole play, serialised (trained once per process)."""
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = tokenizers.Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIAL), show_progress=False
    )
    tok.train_from_iterator((s.text for s in twelfth_night()), trainer)
    return tok.to_str()


def tokenizer(
    padding_side: str = "right", pad_is_eos: bool = False
) -> transformers.PreTrainedTokenizerFast:
    """A fresh Hugging Face tokenizer around the play's BPE.

    ``pad_is_eos=True`` gives it no pad token of its own and sets
    ``pad_token = eos_token``, as is done for GPT-2 and most decoder-only models.
    """
    tok = tokenizers.Tokenizer.from_str(_tokenizer_json())
    special = {"unk_token": UNK, "eos_token": EOS}
    if not pad_is_eos:
        special["pad_token"] = PAD
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, padding_side=padding_side, **special
    )
    if pad_is_eos:
        fast.pad_token = fast.eos_token
    return fast


@functools.cache
def gpt2(seed: int = 0, layers: int = 2) -> transformers.GPT2LMHeadModel:
    """A small randomly initialised GPT-2 (learned absolute positions), in eval mode."""
    torch.manual_seed(seed)
    config = transformers.GPT2Config(
        vocab_size=VOCAB_SIZE, n_positions=64, n_embd=32, n_layer=layers, n_head=2,
        pad_token_id=0, bos_token_id=2, eos_token_id=2,
    )  # fmt: skip
    return transformers.GPT2LMHeadModel(config).eval()


@functools.cache
def bert(seed: int = 0, layers: int = 2) -> transformers.BertModel:
    """A small randomly initialised BERT encoder, in eval mode (no dropout)."""
    torch.manual_seed(seed)
    config = transformers.BertConfig(
        vocab_size=VOCAB_SIZE, hidden_size=32, num_hidden_layers=layers,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
        pad_token_id=0,
    )  # fmt: skip
    return transformers.BertModel(config, add_pooling_layer=False).eval()


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


@dataclass(frozen=True)
class PaddedBatch:
    """What the tokenizer returns for :data:`LINES` with ``padding=True``."""

    padding_side: str
    lines: tuple[str, ...]
    input_ids: np.ndarray
    attention_mask: np.ndarray
    pad_token_id: int

    def table(self):
        """Ids with pads shown as the pad token, one row per line."""
        import pandas as pd

        tok = tokenizer()
        # Byte-level BPE marks a leading space with "Ġ"; show it as an open box.
        cells = [
            [
                tok.convert_ids_to_tokens(int(i)).replace("Ġ", "␣") if m else "[PAD]"
                for i, m in zip(row, mrow, strict=True)
            ]
            for row, mrow in zip(self.input_ids, self.attention_mask, strict=True)
        ]
        # The first three words label a row: long enough to tell the lines apart,
        # short enough for a narrow screen.
        labels = [
            " ".join(line.split()[:3]) + (" …" if len(line.split()) > 3 else "")
            for line in self.lines
        ]
        return pd.DataFrame(cells, index=pd.Index(labels, name="line"))


def padded_batch(padding_side: str = "right") -> PaddedBatch:
    """The running batch padded by the tokenizer on ``padding_side``."""
    tok = tokenizer(padding_side)
    enc = tok(list(LINES), padding=True, return_tensors="np")
    return PaddedBatch(
        padding_side,
        LINES,
        np.asarray(enc["input_ids"]),
        np.asarray(enc["attention_mask"]),
        int(tok.pad_token_id),
    )


@dataclass(frozen=True)
class MaskRun:
    """BERT on the running batch: each line's hidden states at its real tokens, against alone."""

    with_mask: float
    """Largest difference from the lines run alone, with the tokenizer's ``attention_mask``."""
    without_mask: float
    """The same with an all-ones ``attention_mask`` (every pad attended)."""


@functools.cache
def bert_mask_run(seed: int = 0) -> MaskRun:
    model = bert(seed)
    batch = padded_batch("right")
    ids = torch.as_tensor(batch.input_ids)
    mask = torch.as_tensor(batch.attention_mask)
    differences = {"with": 0.0, "without": 0.0}
    with torch.no_grad():
        masked = model(input_ids=ids, attention_mask=mask).last_hidden_state
        unmasked = model(
            input_ids=ids, attention_mask=torch.ones_like(mask)
        ).last_hidden_state
        for row, line_mask in enumerate(mask):
            n = int(line_mask.sum())
            alone = model(input_ids=ids[row : row + 1, :n]).last_hidden_state[0]
            for name, out in (("with", masked), ("without", unmasked)):
                gap = float((out[row, :n] - alone).abs().max())
                differences[name] = max(differences[name], gap)
    return MaskRun(differences["with"], differences["without"])


@dataclass(frozen=True)
class LabelRun:
    """GPT-2's loss on the running batch, with the pad positions' labels set to -100."""

    model_loss: float
    """``model(..., labels=labels).loss`` with -100 at the pads."""
    mean_over_real: float
    """The mean next-token cross-entropy over real targets, computed by hand."""
    cross_entropy_default: float
    """``F.cross_entropy`` on the shifted logits and labels, with its defaults."""
    cross_entropy_default_ignore_index: int
    """The default of ``F.cross_entropy``'s ``ignore_index``, read from its signature."""
    pad_id_labels: float
    """The control: the model's loss with the pad id (0) as the pads' label instead of -100."""
    real_targets: int
    all_targets: int


@functools.cache
def label_run(seed: int = 0) -> LabelRun:
    import inspect

    model = gpt2(seed)
    batch = padded_batch("right")
    ids = torch.as_tensor(batch.input_ids)
    mask = torch.as_tensor(batch.attention_mask)
    labels = ids.masked_fill(mask == 0, -100)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        control = model(input_ids=ids, attention_mask=mask, labels=ids).loss
    logits, targets = out.logits[:, :-1], labels[:, 1:]
    real = targets != -100
    log_probs = torch.log_softmax(logits, -1)
    picked = log_probs.gather(-1, targets.clamp(min=0)[..., None])[..., 0]
    by_hand = -(picked * real).sum() / real.sum()
    default = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    signature = inspect.signature(F.cross_entropy).parameters["ignore_index"].default
    return LabelRun(
        float(out.loss),
        float(by_hand),
        float(default),
        int(signature),
        float(control),
        int(real.sum()),
        int(targets.numel()),
    )


def keras_minus_100(seed: int = 0) -> dict[str, object]:
    """What -100 does in Keras, and in PyTorch's embedding for contrast.

    -100 as an *input id* to a Keras ``Embedding`` of 300 rows; -100 as a
    *label* to ``SparseCategoricalCrossentropy`` with and without
    ``ignore_class=-100``; and ``F.cross_entropy``'s mean on the same logits.
    """
    from padguide.keras_backend import get_keras, is_keras3

    K = get_keras()
    K.utils.set_random_seed(seed)
    result: dict[str, object] = {"keras": K.__version__, "keras3": is_keras3(K)}
    emb = K.layers.Embedding(300, 2)
    emb.build((None,))
    try:
        looked_up = np.asarray(emb(np.array([-100])))[0]
        table = np.asarray(emb.embeddings)
        matches = [int(r) for r in np.flatnonzero(np.all(table == looked_up, axis=1))]
        result["embedding_row_read"] = matches[0] if matches else None
        result["embedding_error"] = ""
    except Exception as err:  # noqa: BLE001 -- the error is the result
        result["embedding_row_read"] = None
        result["embedding_error"] = type(err).__name__
    try:
        torch.nn.Embedding(300, 2)(torch.tensor([-100]))
        result["torch_embedding_error"] = ""
    except IndexError as err:
        result["torch_embedding_error"] = type(err).__name__

    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((1, 4, 5)).astype("float32")
    labels = np.array([[1, 2, -100, -100]])
    for name, kwargs in (
        ("loss_plain", {}),
        ("loss_ignore_class", {"ignore_class": -100}),
    ):
        try:
            loss = K.losses.SparseCategoricalCrossentropy(from_logits=True, **kwargs)
            result[name] = float(np.asarray(loss(labels, logits)))
        except Exception as err:  # noqa: BLE001 -- the error is the result
            result[name] = type(err).__name__
    result["torch_cross_entropy"] = float(
        F.cross_entropy(torch.as_tensor(logits[0]), torch.as_tensor(labels[0]))
    )
    return result


@dataclass(frozen=True)
class AppendRun:
    """Next-token logits of the shortest line, batched with the others, against alone.

    Each value is the largest absolute difference of the last real token's
    logits from the line run alone; ``*_appended`` repeat it after one more
    token is appended to every row, as a generation step does.
    """

    left_with_positions: float
    left_without_positions: float
    right_last_column: float
    right_last_real_token: float
    left_with_positions_appended: float
    right_appended: float
    position_ids: list[int]
    """The position ids computed from the shortest line's mask (left padding)."""

    def table(self):
        """Each way of batching, labelled, with its largest difference from alone."""
        import pandas as pd

        rows = {
            ("left", "cumsum(mask) - 1", "last column"): self.left_with_positions,
            ("left", "none (0..T-1)", "last column"): self.left_without_positions,
            ("right", "none (0..T-1)", "last column"): self.right_last_column,
            ("right", "none (0..T-1)", "last real token"): self.right_last_real_token,
            ("left", "cumsum(mask) - 1", "after appending"): (
                self.left_with_positions_appended
            ),
            ("right", "none (0..T-1)", "after appending"): self.right_appended,
        }
        index = pd.MultiIndex.from_tuples(
            rows, names=["padding", "position_ids", "logits read at"]
        )
        column = "largest difference from the line alone"
        return pd.DataFrame({column: list(rows.values())}, index=index).map(
            "{:.1e}".format
        )


def _positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids that skip left padding: ``cumsum(mask) - 1``, pads clamped to 0."""
    return (mask.long().cumsum(-1) - 1).clamp(min=0)


@functools.cache
def append_run(seed: int = 0) -> AppendRun:
    model = gpt2(seed)
    right, left = padded_batch("right"), padded_batch("left")
    short = int(np.argmin(right.attention_mask.sum(1)))
    n = int(right.attention_mask[short].sum())
    alone_ids = torch.as_tensor(right.input_ids[short : short + 1, :n])
    next_id = int(tokenizer().convert_tokens_to_ids(EOS))

    def logits(ids, mask=None, positions=None, at=-1):
        with torch.no_grad():
            out = model(input_ids=ids, attention_mask=mask, position_ids=positions)
        return out.logits[:, at]

    def gap(a, b):
        return float((a - b).abs().max())

    alone = logits(alone_ids)[0]
    alone_next = logits(torch.cat([alone_ids, torch.tensor([[next_id]])], 1))[0]

    l_ids = torch.as_tensor(left.input_ids)
    l_mask = torch.as_tensor(left.attention_mask)
    r_ids = torch.as_tensor(right.input_ids)
    r_mask = torch.as_tensor(right.attention_mask)
    l_pos = _positions(l_mask)
    column = torch.full((len(LINES), 1), next_id)
    l_ids2 = torch.cat([l_ids, column], 1)
    l_mask2 = torch.cat([l_mask, torch.ones_like(column)], 1)
    r_ids2 = torch.cat([r_ids, column], 1)
    r_mask2 = torch.cat([r_mask, torch.ones_like(column)], 1)
    return AppendRun(
        left_with_positions=gap(logits(l_ids, l_mask, l_pos)[short], alone),
        left_without_positions=gap(logits(l_ids, l_mask)[short], alone),
        right_last_column=gap(logits(r_ids, r_mask)[short], alone),
        right_last_real_token=gap(logits(r_ids, r_mask, at=n - 1)[short], alone),
        left_with_positions_appended=gap(
            logits(l_ids2, l_mask2, _positions(l_mask2))[short], alone_next
        ),
        right_appended=gap(logits(r_ids2, r_mask2)[short], alone_next),
        position_ids=_np(l_pos[short]).tolist(),
    )


def pad_eos_run() -> dict[str, dict[str, list[int]]]:
    """``DataCollatorForLanguageModeling(mlm=False)`` on lines that end in EOS.

    With ``pad_token = eos_token`` the collator, which sets every pad id's
    label to -100, also erases the real EOS's label; with a pad token of its
    own the EOS keeps its label. Returns, per tokenizer, the shortest line's
    ``input_ids``, ``attention_mask`` and ``labels``.
    """
    result = {}
    for name, pad_is_eos in (("pad = eos", True), ("pad of its own", False)):
        tok = tokenizer("right", pad_is_eos=pad_is_eos)
        collator = transformers.DataCollatorForLanguageModeling(tok, mlm=False)
        features = [tok(line + EOS) for line in LINES]
        out = collator(features)
        short = int(np.argmin(_np(out["attention_mask"]).sum(1)))
        result[name] = {
            key: _np(out[key][short]).tolist()
            for key in ("input_ids", "attention_mask", "labels")
        }
        result[name]["eos_id"] = [int(tok.eos_token_id)]
    return result


def pad_eos_table():
    """The shortest line's ids, mask and labels after the collator, for both tokenizers."""
    import pandas as pd

    frames = {}
    for name, run in pad_eos_run().items():
        n = sum(run["attention_mask"]) + 2  # the real tokens, then two pads
        frames[name] = pd.DataFrame(
            {key: run[key][:n] for key in ("input_ids", "attention_mask", "labels")}
        ).T
    table = pd.concat(frames, names=["tokenizer", ""])
    table.columns.name = "position"
    return table


@dataclass(frozen=True)
class CollatorRun:
    lengths: list[int]
    """Each line's number of tokens."""
    padded_to: dict[str, int]
    """The batch's padded length, by ``pad_to_multiple_of``."""


def collator_run(multiples: tuple[int | None, ...] = (None, 8, 64)) -> CollatorRun:
    """``DataCollatorWithPadding`` on the running lines with several ``pad_to_multiple_of``."""
    tok = tokenizer("right")
    features = [tok(line) for line in LINES]
    padded = {}
    for multiple in multiples:
        collator = transformers.DataCollatorWithPadding(
            tok, pad_to_multiple_of=multiple
        )
        padded[str(multiple)] = int(collator(features)["input_ids"].shape[1])
    return CollatorRun([len(f["input_ids"]) for f in features], padded)
