"""Claims about padguide's own data pipeline that the book's numbers rest on."""

from __future__ import annotations

from padguide.claims._ledger import Evidence, claim


@claim(
    "padguide.vocab-len-is-num-embeddings",
    framework="padguide",
    statement="len(Vocab) counts the pad and unknown entries, so it is the table size to use.",
)
def _():
    from padguide.corpus import Vocab

    vocab = Vocab.build([["who", "was", "it", "?"]])
    return Evidence(
        len(vocab) == 6 and vocab.decode([0, 1]) == ["<pad>", "<unk>"],
        {"len": len(vocab), "tokens": vocab.tokens},
    )


@claim(
    "padguide.pad-never-truncates",
    framework="padguide",
    statement="pad() fills with the pad id on the chosen side and refuses to truncate.",
)
def _():
    from padguide.batching import pad

    right = pad([[5, 3, 2], [4]]).tolist()
    left = pad([[5, 3, 2], [4]], side="left").tolist()
    try:
        pad([[5, 3, 2]], length=2)
        refused = False
    except ValueError:
        refused = True
    return Evidence(
        right == [[5, 3, 2], [4, 0, 0]] and left == [[5, 3, 2], [0, 0, 4]] and refused,
        {"right": right, "left": left, "truncation_refused": refused},
    )
