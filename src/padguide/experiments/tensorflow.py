"""TensorFlow experiments: ``tf.IndexedSlices``, retracing, and batching by tf.data.

The claims about them are in ``padguide.claims.tensorflow``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from padguide.results import SparseGradient

__all__ = [
    "DensifyResult",
    "densify_methods",
    "densify_table",
    "retraces",
    "tf_bucket_batches",
]


@dataclass(frozen=True)
class DensifyResult:
    method: str
    dense: np.ndarray
    correct: bool
    """Equal to the sum of the slices per row (the true gradient)."""


def densify_methods(gradient: SparseGradient) -> list[DensifyResult]:
    """Four ways to make a dense tensor of an ``IndexedSlices``; the last one is wrong."""
    slices = tf.IndexedSlices(
        tf.constant(gradient.values),
        tf.constant(gradient.indices, tf.int64),
        tf.constant(gradient.dense_shape, tf.int64),
    )
    rows = gradient.dense_shape[0]
    index_column = tf.expand_dims(slices.indices, -1)
    zeros = tf.zeros(gradient.dense_shape, slices.values.dtype)
    methods = {
        "tf.convert_to_tensor": lambda: tf.convert_to_tensor(slices),
        "tf.math.unsorted_segment_sum": lambda: tf.math.unsorted_segment_sum(
            slices.values, slices.indices, rows
        ),
        "tf.scatter_nd": lambda: tf.scatter_nd(
            index_column, slices.values, slices.dense_shape
        ),
        "tf.tensor_scatter_nd_update": lambda: tf.tensor_scatter_nd_update(
            zeros, index_column, slices.values
        ),
    }
    truth = gradient.to_dense()
    results = []
    for name, method in methods.items():
        dense = method().numpy()
        results.append(
            DensifyResult(name, dense, bool(np.allclose(dense, truth, atol=1e-6)))
        )
    return results


def densify_table(gradient: SparseGradient, tokens: list[str]):
    """:func:`densify_methods` as a table: one row per method, one column per table row."""
    import pandas as pd

    from padguide.results import DECIMALS

    results = densify_methods(gradient)
    table = pd.DataFrame(
        [r.dense[:, 0] for r in results],
        index=[r.method for r in results],
        columns=tokens,
    )
    table = table.round(DECIMALS) + 0.0
    table["correct?"] = ["yes" if r.correct else "no" for r in results]
    return table


def retraces(lengths: list[int], multiple_of: int | None = None) -> int:
    """How many times a ``tf.function`` traces while batches of these lengths arrive.

    With ``multiple_of``, each batch is padded up to the next multiple first
    (``pad_to_multiple_of`` in Hugging Face collators), so fewer shapes occur.
    """
    traces = []

    @tf.function(reduce_retracing=False)
    def step(batch):
        traces.append(batch.shape)  # runs only while tracing
        return tf.reduce_sum(batch)

    # TensorFlow logs a retracing warning to stderr; this function reports the count instead.
    logger = tf.get_logger()
    was_disabled, logger.disabled = logger.disabled, True
    try:
        for length in lengths:
            padded = (
                length
                if multiple_of is None
                else -(-length // multiple_of) * multiple_of
            )
            step(tf.zeros((2, padded)))
    finally:
        logger.disabled = was_disabled
    return len(traces)


# --- batching through tf.data ------------------------------------------------------------


def tf_bucket_batches(
    lengths,
    batch_size: int,
    *,
    seed: int,
    boundaries: tuple[int, ...] = (8, 16, 32, 64, 128, 256),
) -> list[np.ndarray]:
    """``tf.data.Dataset.bucket_by_sequence_length`` run by tf.data itself.

    Examples stream in shuffled order (a permutation drawn from ``seed``) into
    buckets by length; a bucket emits a batch when it holds ``batch_size``
    examples, and the leftovers are emitted at the end. Returns the example
    indices of each batch, in the order tf.data produced them.
    """
    from padguide.batching import _check_lengths, _check_positive

    lengths = _check_lengths(lengths)
    batch_size = _check_positive("batch_size", batch_size)
    # The upstream shuffle is numpy's: tf.data's would also depend on whatever
    # global TensorFlow seed earlier code set, and the result must depend on `seed` only.
    order = np.random.default_rng(seed).permutation(len(lengths))
    data = tf.data.Dataset.from_tensor_slices((order, lengths[order]))
    data = data.bucket_by_sequence_length(
        element_length_func=lambda index, length: tf.cast(length, tf.int32),
        bucket_boundaries=list(boundaries),
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
    )
    return [indices.numpy() for indices, _ in data]
