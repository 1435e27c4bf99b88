"""Claims about padding-free batches in PyTorch: jagged tensors, packed rows, flex_attention.

The experiments behind them are in :mod:`padguide.experiments.padfree`: one
seeded Transformer layer, the first speeches of the play, each sequence run
alone as the reference. Each causal claim carries its control: the same run
without the cause (no document mask, positions that run on across the row,
labels shifted along the whole row).
"""

from __future__ import annotations

import functools

from padguide.claims._ledger import Evidence, NotApplicable, claim

SAME = 1e-5
"""Largest difference in an output still called equal (float32 round-off)."""
SAME_GRADIENT = 1e-4
"""Largest difference in a gradient still called equal (sums over a speech's tokens)."""
DIFFERENT = 1e-3
"""Smallest difference called a change."""


@functools.cache
def _compare():
    from padguide.experiments import padfree

    return padfree.compare(flex=False)


def _equal(run) -> bool:
    return run.output_error < SAME and run.gradient_error < SAME_GRADIENT


def _errors(run) -> dict:
    return {
        "largest output difference": run.output_error,
        "largest gradient difference": run.gradient_error,
    }


def _flex():
    try:
        from torch.nn.attention import flex_attention  # noqa: F401
    except ImportError as err:
        raise NotApplicable(f"this torch has no flex_attention: {err}") from err
    from padguide.experiments import padfree

    return padfree


@claim(
    "torch.jagged-sdpa-equals-per-sequence",
    framework="torch",
    statement="On the CPU, a batch as a jagged nested tensor (layout=torch.jagged) through "
    "scaled_dot_product_attention gives every sequence the outputs and parameter gradients "
    "of its run alone, computing no padding slot.",
)
def jagged_sdpa_equals_per_sequence():
    runs = _compare()
    jagged, padded, crossed = (
        runs["jagged"],
        runs["padded"],
        runs["packed, no document mask"],
    )
    return Evidence(
        _equal(jagged),
        {
            **_errors(jagged),
            "tokens computed": jagged.tokens_computed,
            "padded batch: tokens computed": padded.tokens_computed,
        },
        control={
            "sequences attended as one, largest output difference": crossed.output_error
        },
        control_differs=crossed.output_error > DIFFERENT,
    )


@claim(
    "torch.packed-document-mask-equals-per-sequence",
    framework="torch",
    statement="Packed rows with restarting position ids and attention kept within each "
    "sequence (per-sequence attention or a block-diagonal mask) give every sequence the "
    "outputs and parameter gradients of its run alone; without the document mask they do not.",
)
def packed_document_mask_equals_per_sequence():
    runs = _compare()
    per_seq = runs["packed, per-sequence attention"]
    block = runs["packed, block-diagonal mask"]
    crossed = runs["packed, no document mask"]
    return Evidence(
        _equal(per_seq) and _equal(block),
        {
            "per-sequence attention": _errors(per_seq),
            "block-diagonal mask": _errors(block),
        },
        control={"no document mask": _errors(crossed)},
        control_differs=crossed.output_error > DIFFERENT
        and crossed.gradient_error > DIFFERENT,
    )


@claim(
    "torch.packed-no-attention-crosses",
    framework="torch",
    statement="In a packed row with a document mask, one sequence's loss has zero gradient "
    "with respect to every other sequence's input embeddings: no attention crosses a "
    "boundary. Without the mask it does.",
)
def packed_no_attention_crosses():
    runs = _compare()
    masked, crossed = (
        runs["packed, per-sequence attention"],
        runs["packed, no document mask"],
    )
    jagged = runs["jagged"]
    return Evidence(
        masked.cross_gradient == 0 and jagged.cross_gradient == 0,
        {
            "document mask: largest gradient into another sequence": masked.cross_gradient,
            "jagged: largest gradient into another sequence": jagged.cross_gradient,
        },
        control={
            "no document mask: largest gradient into another sequence": crossed.cross_gradient
        },
        control_differs=crossed.cross_gradient > 0,
    )


@claim(
    "torch.packed-position-ids-restart",
    framework="torch",
    statement="Packed rows need position ids that restart at each sequence: with them every "
    "sequence gets its outputs alone; with positions running on across the row, the "
    "sequences after a row's first get other outputs.",
)
def packed_position_ids_restart():
    import numpy as np

    from padguide.experiments import padfree

    runs = _compare()
    restart, run_on = (
        runs["packed, per-sequence attention"],
        runs["packed, positions run on"],
    )
    sequences, _ = padfree.speeches()
    packing = padfree.packing_for(np.array([len(s) for s in sequences]))
    starts = packing.position_ids()[packing.row, packing.offset]
    return Evidence(
        _equal(restart) and bool((starts == 0).all()),
        {"first position id of each sequence": starts, **_errors(restart)},
        control={"positions run on": _errors(run_on)},
        control_differs=run_on.output_error > DIFFERENT,
    )


@claim(
    "torch.packed-loss-labels-per-sequence",
    framework="torch",
    statement="Next-token labels for a packed row built per sequence (ignore_index at each "
    "sequence's last token) give exactly the loss of the sequences alone; labels shifted "
    "along the whole row add targets that cross a boundary.",
)
def packed_loss_labels_per_sequence():
    from padguide.experiments import padfree

    r = padfree.boundary_loss()
    return Evidence(
        abs(r.packed - r.per_sequence) < SAME * max(1.0, abs(r.per_sequence)),
        {
            "sequences alone: summed loss": r.per_sequence,
            "packed, labels per sequence: summed loss": r.packed,
            "targets": r.targets,
        },
        control={
            "labels shifted along the row: summed loss": r.shifted_row,
            "targets crossing a boundary": r.crossing_targets,
        },
        control_differs=r.crossing_targets > 0
        and abs(r.shifted_row - r.per_sequence) > DIFFERENT,
    )


@claim(
    "torch.flex-attention-document-mask",
    framework="torch",
    statement="On the CPU, compiled flex_attention with a document mask from "
    "create_block_mask gives every sequence of a packed row the outputs of its run alone "
    "(forward only).",
)
def flex_attention_document_mask():
    padfree = _flex()
    flex = padfree.flex_document()
    crossed = _compare()["packed, no document mask"]
    return Evidence(
        flex.output_error < SAME,
        {"largest output difference": flex.output_error},
        control={"no document mask, largest output difference": crossed.output_error},
        control_differs=crossed.output_error > DIFFERENT,
    )


@claim(
    "torch.flex-attention-no-cpu-backward",
    framework="torch",
    statement="On the CPU, flex_attention raises NotImplementedError when a gradient is asked "
    "for: training with it needs a GPU.",
)
def flex_attention_no_cpu_backward():
    message = _flex().flex_backward_on_cpu()
    return Evidence(message.startswith("NotImplementedError"), {"error": message})
