"""Claims about ``tf.IndexedSlices``, the gradient TensorFlow returns for a lookup."""

from __future__ import annotations

import numpy as np

from padguide.claims._ledger import Evidence, claim


def _dense_run():
    import padguide.experiments.keras as pk

    return pk.seed_experiment("dense")


@claim(
    "tensorflow.embedding-gradient-is-indexed-slices",
    framework="tensorflow",
    statement="The gradient of an embedding lookup comes back as a tf.IndexedSlices, "
    "not a dense tensor.",
)
def embedding_gradient_is_indexed_slices():
    run = _dense_run()
    return Evidence(
        run.notes["gradient_type"] == "IndexedSlices" and run.sparse is not None,
        {"type": run.notes["gradient_type"]},
    )


@claim(
    "tensorflow.indices-repeat-per-lookup",
    framework="tensorflow",
    statement="Its indices list every lookup in order, duplicates included: id 0 once per "
    "pad position.",
)
def indices_repeat_per_lookup():
    run = _dense_run()
    return Evidence(
        run.sparse.indices.tolist() == run.ids.ravel().tolist(),
        {
            "indices": run.sparse.indices,
            "values_shape": list(run.sparse.values.shape),
            "dense_shape": list(run.sparse.dense_shape),
        },
    )


def _method(name: str):
    import padguide.experiments.tensorflow as ptf

    run = _dense_run()
    results = {r.method: r for r in ptf.densify_methods(run.sparse)}
    return results[name], run


for _name in ("tf.convert_to_tensor", "tf.math.unsorted_segment_sum", "tf.scatter_nd"):

    @claim(
        f"tensorflow.{_name.split('.')[-1].replace('_', '-')}-sums-duplicates",
        framework="tensorflow",
        statement=f"{_name} sums the slices of a repeated index: the correct dense gradient.",
    )
    def densify_sums_duplicates(name=_name):
        result, run = _method(name)
        return Evidence(
            result.correct,
            {"dense": result.dense[:, 0], "sum_of_slices": run.sparse.to_dense()[:, 0]},
        )


@claim(
    "tensorflow.tensor-scatter-nd-update-keeps-last",
    framework="tensorflow",
    statement="tf.tensor_scatter_nd_update keeps only the last slice of a repeated index: "
    "wrong for gradients.",
)
def tensor_scatter_nd_update_keeps_last():
    result, run = _method("tf.tensor_scatter_nd_update")
    truth = run.sparse.to_dense()
    return Evidence(
        not result.correct, {"dense": result.dense[:, 0], "sum_of_slices": truth[:, 0]}
    )


@claim(
    "tensorflow.indexed-slices-values-per-lookup",
    framework="tensorflow",
    statement="The IndexedSlices holds one value row per lookup, so its size grows with the "
    "batch, not with the vocabulary.",
)
def indexed_slices_values_per_lookup():
    run = _dense_run()
    n = run.ids.size
    return Evidence(
        run.sparse.values.shape[0] == n and n != run.sparse.dense_shape[0],
        {
            "lookups": n,
            "value_rows": run.sparse.values.shape[0],
            "vocabulary_rows": run.sparse.dense_shape[0],
        },
    )


@claim(
    "tensorflow.masked-gradient-keeps-pad-indices",
    framework="tensorflow",
    statement="With a mask consumer, the pad indices are still in the IndexedSlices, with "
    "zero values.",
)
def masked_gradient_keeps_pad_indices():
    import padguide.experiments.keras as pk

    run = pk.seed_experiment("masked")
    at_pad = run.sparse.values[run.sparse.indices == 0]
    plain = _dense_run()
    plain_at_pad = plain.sparse.values[plain.sparse.indices == 0]
    return Evidence(
        len(at_pad) > 0 and bool((at_pad == 0).all()),
        {"pad_slices": len(at_pad), "their_values": at_pad[:, 0]},
        control={"plain Dense, their_values": plain_at_pad[:, 0]},
        control_differs=bool(np.abs(plain_at_pad).max() > 0),
    )


@claim(
    "tensorflow.tf-function-traces-per-shape",
    framework="tensorflow",
    statement="A tf.function traces again for every new batch length; padding lengths up to a "
    "multiple of 8 makes fewer shapes and fewer traces.",
)
def tf_function_traces_per_shape():
    import padguide.experiments.tensorflow as ptf

    lengths = [3, 5, 6, 7, 9, 12, 13, 17]
    plain, rounded = ptf.retraces(lengths), ptf.retraces(lengths, multiple_of=8)
    expected_rounded = len({-(-n // 8) * 8 for n in lengths})
    return Evidence(
        plain == len(set(lengths)) and rounded == expected_rounded,
        {"lengths": lengths, "traces": plain, "traces_multiple_of_8": rounded},
        control={"traces without padding to a multiple of 8": plain},
        control_differs=plain > rounded,
    )
