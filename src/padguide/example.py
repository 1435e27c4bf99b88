"""The book's running example: two speeches of Act 2, Scene 4, as a padded batch.

Orsino asks Viola's age and she answers; the two speeches differ in length, and
some tokens (``,``, ``years``, ``.``) occur more than once, so a gradient by row
shows both padding and frequency at work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padguide.batching import pad
from padguide.corpus import Speech, Vocab, scene, tokenize

__all__ = ["ACT", "CLASSIC_IDS", "PAIR", "SCENE", "RunningExample", "running_example"]

ACT, SCENE = 2, 4
PAIR = (10, 11)
"""Indices of the two speeches within the scene."""

CLASSIC_IDS = np.array([[1, 1, 2, 6, 0], [1, 5, 5, 0, 0]])
"""Ids of the classic demonstration (two rows; 0 is padding), shared by both frameworks."""


@dataclass(frozen=True)
class RunningExample:
    speeches: list[Speech]
    tokens: list[list[str]]
    vocab: Vocab
    """Built from the whole scene, so some rows never occur in the batch."""
    ids: np.ndarray
    """``(2, time)`` right-padded ids."""
    lengths: np.ndarray


def running_example(side: str = "right") -> RunningExample:
    """The padded batch of the two speeches, with a vocabulary of the whole scene."""
    speeches = scene(ACT, SCENE)
    vocab = Vocab.build(tokenize(s.text) for s in speeches)
    pair = [speeches[i] for i in PAIR]
    tokens = [tokenize(s.text) for s in pair]
    ids = pad([vocab.encode(t) for t in tokens], pad_id=vocab.pad_id, side=side)
    return RunningExample(pair, tokens, vocab, ids, np.array([len(t) for t in tokens]))
