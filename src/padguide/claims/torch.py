"""Claims about PyTorch's ``nn.Embedding(padding_idx=...)`` and its relatives."""

from __future__ import annotations

import numpy as np

from padguide.claims._ledger import Evidence, claim


def _pt():
    import padguide.experiments.torch as pt

    return pt


@claim(
    "torch.pad-row-zero-at-init",
    framework="torch",
    statement="A new nn.Embedding(padding_idx=0) has an all-zero row 0.",
)
def pad_row_zero_at_init():
    import torch

    torch.manual_seed(0)
    row = torch.nn.Embedding(7, 3, padding_idx=0).weight[0].detach().numpy()
    return Evidence(bool((row == 0).all()), row)


@claim(
    "torch.pad-row-no-gradient",
    framework="torch",
    statement="The pad row's gradient is zero, however many pad positions the batch has.",
)
def pad_row_no_gradient():
    run = _pt().seed_experiment()
    return Evidence(
        bool((run.pad_row_gradient == 0).all()) and run.counts[0] > 0,
        {"pad_positions": run.counts[0], "pad_gradient": run.pad_row_gradient},
    )


@claim(
    "torch.pad-output-is-pad-row",
    framework="torch",
    statement="At pad positions the embedding outputs row padding_idx: zeros for a fresh layer.",
)
def pad_output_is_pad_row():
    run = _pt().seed_experiment()
    bias = float(run.notes["linear_bias"][0])
    # A zero embedding through Linear(1, 1) gives exactly the bias.
    return Evidence(
        bool(np.allclose(run.pad_output, bias)),
        {"linear_output_at_pad": run.pad_output, "linear_bias": bias},
    )


@claim(
    "torch.gradient-sums-over-occurrences",
    framework="torch",
    statement="A row's gradient is the sum over its occurrences: with a plain sum loss, "
    "its count in the batch.",
)
def gradient_sums_over_occurrences():
    counts = _pt().scale_grad_by_freq_run((1, 1, 2, 0))["plain"]
    return Evidence(
        counts.tolist() == [0.0, 2.0, 1.0, 0.0],
        {"ids": [1, 1, 2, 0], "gradient": counts},
    )


@claim(
    "torch.absent-rows-zero-gradient",
    framework="torch",
    statement="Rows whose ids do not occur in the batch get an exactly zero gradient.",
)
def absent_rows_zero_gradient():
    run = _pt().twelfth_night_experiment()
    absent = run.counts == 0
    return Evidence(
        bool((run.gradient[absent] == 0).all()) and absent.sum() > 0,
        {
            "absent_rows": int(absent.sum()),
            "largest_gradient_there": float(np.abs(run.gradient[absent]).max()),
        },
    )


@claim(
    "torch.custom-pad-vector-is-output",
    framework="torch",
    statement="A non-zero vector written into the pad row is what pad positions output.",
)
def custom_pad_vector_is_output():
    r = _pt().custom_pad_vector()
    return Evidence(
        bool(np.array_equal(r.output_at_pad, r.pad_row_before)),
        {"pad_row": r.pad_row_before, "output_at_pad": r.output_at_pad},
    )


@claim(
    "torch.custom-pad-vector-fixed-under-sgd",
    framework="torch",
    statement="Plain SGD never changes the pad row, whatever it holds.",
)
def custom_pad_vector_fixed_under_sgd():
    r = _pt().custom_pad_vector()
    return Evidence(
        bool(np.array_equal(r.pad_row_after, r.pad_row_before)),
        {"before": r.pad_row_before, "after": r.pad_row_after, "steps": r.steps},
    )


@claim(
    "torch.from-pretrained-keeps-pad-row",
    framework="torch",
    statement="Embedding.from_pretrained(w, padding_idx=0) keeps w[0] as it is and outputs it.",
)
def from_pretrained_keeps_pad_row():
    r = _pt().from_pretrained_run()
    same = np.array_equal(r.pad_row, r.pretrained_pad_row) and np.array_equal(
        r.output_at_pad, r.pad_row
    )
    return Evidence(
        bool(same and np.abs(r.pad_row).max() > 0),
        {"w0": r.pretrained_pad_row, "row0_after_loading": r.pad_row},
    )


@claim(
    "torch.from-pretrained-pad-row-no-gradient",
    framework="torch",
    statement="A pretrained, non-zero pad row still gets no gradient.",
)
def from_pretrained_pad_row_no_gradient():
    r = _pt().from_pretrained_run()
    return Evidence(
        bool((r.pad_gradient == 0).all()) and r.other_gradient_norm > 0,
        {
            "pad_gradient": r.pad_gradient,
            "other_rows_gradient_norm": r.other_gradient_norm,
        },
    )


@claim(
    "torch.functional-embedding-no-zeroing",
    framework="torch",
    statement="F.embedding(padding_idx=0) zeroes nothing: it only withholds the pad row's gradient.",
)
def functional_embedding_no_zeroing():
    r = _pt().functional_run()
    return Evidence(
        bool(np.abs(r.output_at_pad).max() > 0 and (r.pad_gradient == 0).all()),
        {"output_at_pad": r.output_at_pad, "pad_gradient": r.pad_gradient},
    )


@claim(
    "torch.negative-padding-idx-normalised",
    framework="torch",
    statement="A negative padding_idx counts from the end: Embedding(10, 3, padding_idx=-1) "
    "pads with row 9.",
)
def negative_padding_idx_normalised():
    import torch

    emb = torch.nn.Embedding(10, 3, padding_idx=-1)
    return Evidence(
        emb.padding_idx == 9 and bool((emb.weight[9] == 0).all()),
        {"padding_idx": emb.padding_idx},
    )


@claim(
    "torch.max-norm-renormalises-in-place",
    framework="torch",
    statement="With max_norm, a lookup rescales the rows it reads, in place, and no others.",
)
def max_norm_renormalises_in_place():
    r = _pt().max_norm_run()
    looked = [i for i in r.looked_up if r.norms_before[i] > 1]
    others = [i for i in range(len(r.norms_before)) if i not in r.looked_up]
    holds = (
        np.all(r.norms_after[looked] <= 1 + 1e-6)
        and np.array_equal(r.norms_after[others], r.norms_before[others])
        and r.same_storage
        and r.version_bumped
    )
    return Evidence(
        bool(holds),
        {
            "norms_before": r.norms_before,
            "norms_after": r.norms_after,
            "looked_up": r.looked_up,
            "modified_in_place": r.version_bumped,
        },
    )


@claim(
    "torch.scale-grad-by-freq-divides-by-count",
    framework="torch",
    statement="scale_grad_by_freq divides each row's gradient by its count in the batch.",
)
def scale_grad_by_freq_divides_by_count():
    g = _pt().scale_grad_by_freq_run((1, 1, 2))
    return Evidence(
        g["plain"].tolist() == [0, 2, 1, 0] and g["scaled"].tolist() == [0, 1, 1, 0],
        {"ids": [1, 1, 2], "plain": g["plain"], "scaled": g["scaled"]},
    )


@claim(
    "torch.sparse-gradient-is-uncoalesced-coo",
    framework="torch",
    statement="With sparse=True the gradient is an uncoalesced sparse COO tensor with one "
    "index per non-pad lookup.",
)
def sparse_gradient_is_uncoalesced_coo():
    r = _pt().sparse_run()
    from padguide.example import CLASSIC_IDS

    expected = CLASSIC_IDS[CLASSIC_IDS != 0].tolist()
    return Evidence(
        r.layout == "sparse_coo" and not r.coalesced and r.indices.tolist() == expected,
        {"layout": r.layout, "coalesced": r.coalesced, "indices": r.indices},
    )


@claim(
    "torch.sparse-coalesced-equals-dense",
    framework="torch",
    statement="Coalescing the sparse gradient and making it dense gives the dense gradient.",
)
def sparse_coalesced_equals_dense():
    r = _pt().sparse_run()
    return Evidence(
        bool(np.array_equal(r.dense_from_sparse, r.dense)),
        {"dense_from_sparse": r.dense_from_sparse[:, 0], "dense": r.dense[:, 0]},
    )


@claim(
    "torch.sparse-rejects-scale-grad-by-freq",
    framework="torch",
    statement="sparse=True together with scale_grad_by_freq=True fails in backward.",
)
def sparse_rejects_scale_grad_by_freq():
    r = _pt().sparse_run()
    return Evidence(bool(r.scale_grad_error), {"error": r.scale_grad_error})


@claim(
    "torch.adam-rejects-sparse-gradients",
    framework="torch",
    statement="torch.optim.Adam refuses sparse gradients and points to SparseAdam.",
)
def adam_rejects_sparse_gradients():
    r = _pt().sparse_run()
    return Evidence("SparseAdam" in r.adam_error, {"error": r.adam_error})


def _drift(name: str):
    d = _pt().optimizer_drift(name)
    return d, {
        "zero_pad_row_moved": d.zero_pad_row_moved,
        "nonzero_pad_row_moved": d.nonzero_pad_row_moved,
    }


@claim(
    "torch.sgd-keeps-pad-row",
    framework="torch",
    statement="SGD and Adam without weight decay leave a non-zero pad row where it is.",
)
def sgd_keeps_pad_row():
    (sgd, s1), (adam, s2) = _drift("SGD"), _drift("Adam")
    return Evidence(
        sgd.nonzero_pad_row_moved == 0 and adam.nonzero_pad_row_moved == 0,
        {"SGD": s1, "Adam": s2},
    )


for _name in (
    "SGD(weight_decay=0.1)",
    "Adam(weight_decay=0.1)",
    "AdamW(weight_decay=0.01)",
):
    _slug = _name.split("(")[0].lower()

    @claim(
        f"torch.{_slug}-weight-decay-moves-pad-row",
        framework="torch",
        statement=f"{_name} moves a non-zero pad row although its gradient is zero; "
        "a zero pad row stays zero.",
    )
    def weight_decay_moves_pad_row(name=_name):
        d, shown = _drift(name)
        return Evidence(
            d.nonzero_pad_row_moved > 0 and d.zero_pad_row_moved == 0, shown
        )


@claim(
    "torch.tied-weights-defeat-padding-idx",
    framework="torch",
    statement="Tying an output layer to the embedding gives the pad row a non-zero gradient "
    "despite padding_idx.",
)
def tied_weights_defeat_padding_idx():
    grad = _pt().tied_weights_run()
    return Evidence(bool(np.abs(grad).max() > 0), {"pad_row_gradient": grad})


@claim(
    "torch.embedding-bag-mean-skips-pad",
    framework="torch",
    statement="EmbeddingBag(mode='mean', padding_idx=0) averages only the real ids; "
    "Embedding followed by .mean(1) divides by the padded length.",
)
def embedding_bag_mean_skips_pad():
    r = _pt().bag_vs_mean()
    holds = np.allclose(r.bag_mean, r.mean_of_real_rows) and np.allclose(
        r.embedding_then_mean, r.mean_of_real_rows / 2
    )
    return Evidence(
        bool(holds),
        {
            "bag": r.bag_mean,
            "mean_of_real_rows": r.mean_of_real_rows,
            "embedding_then_mean": r.embedding_then_mean,
        },
    )


@claim(
    "torch.embedding-bag-all-pad-is-zero",
    framework="torch",
    statement="An EmbeddingBag bag holding only padding gives a zero vector.",
)
def embedding_bag_all_pad_is_zero():
    r = _pt().bag_vs_mean()
    return Evidence(bool((r.all_pad_bag == 0).all()), {"all_pad_bag": r.all_pad_bag})


@claim(
    "torch.embedding-bag-ignores-pad-weights",
    framework="torch",
    statement="per_sample_weights at pad positions are ignored by EmbeddingBag(mode='sum').",
)
def embedding_bag_ignores_pad_weights():
    r = _pt().bag_vs_mean()
    return Evidence(
        bool(np.allclose(r.weighted_sum, r.sum_of_real_rows)),
        {
            "pad_weights": [100.0, 100.0],
            "weighted_sum": r.weighted_sum,
            "sum_of_real_rows": r.sum_of_real_rows,
        },
    )


@claim(
    "torch.negative-id-raises",
    framework="torch",
    statement="An id of -1 makes nn.Embedding raise an IndexError.",
)
def negative_id_raises():
    import torch

    try:
        torch.nn.Embedding(5, 2)(torch.tensor([-1]))
    except IndexError as err:
        return Evidence(True, {"error": f"IndexError: {err}"})
    return Evidence(False, {"error": None})


@claim(
    "torch.sparse-adam-is-lazy",
    framework="torch",
    statement="SparseAdam is lazy: a row absent from the batch does not move, while dense Adam "
    "moves it through its momentum.",
)
def sparse_adam_is_lazy():
    moved = _pt().adam_laziness()
    return Evidence(moved["SparseAdam"] == 0 and moved["Adam"] > 0, moved)


# --- pitfalls --------------------------------------------------------------------------------


@claim(
    "torch.key-padding-mask-true-ignores",
    framework="torch",
    statement="In nn.MultiheadAttention's key_padding_mask, True means ignore this key: the "
    "opposite of a Keras mask.",
)
def key_padding_mask_true_ignores():
    meaning = _pt().polarity_torch()["nn.MultiheadAttention(key_padding_mask=...)"]
    return Evidence(meaning == "ignore", {"True means": meaning})


@claim(
    "torch.sdpa-bool-mask-true-attends",
    framework="torch",
    statement="In F.scaled_dot_product_attention, a boolean attn_mask's True means attend.",
)
def sdpa_bool_mask_true_attends():
    meaning = _pt().polarity_torch()["F.scaled_dot_product_attention(attn_mask=bool)"]
    return Evidence(meaning == "attend", {"True means": meaning})


@claim(
    "torch.mha-all-padded-query-nan",
    framework="torch",
    statement="nn.MultiheadAttention returns NaN for a query whose keys are all padding when "
    "need_weights=True (CPU).",
)
def mha_all_padded_query_nan():
    r = _pt().all_padded_query()
    cells = [r["train, need_weights=True"], r["eval, need_weights=True"]]
    return Evidence(bool(np.isnan(cells).all()), r)


@claim(
    "torch.mha-all-padded-query-depends-on-path",
    framework="torch",
    statement="With need_weights=False the same query gets 0 in training mode but NaN in "
    "eval mode, where the fused fast path runs (CPU).",
)
def mha_all_padded_query_depends_on_path():
    r = _pt().all_padded_query()
    train, evaluation = r["train, need_weights=False"], r["eval, need_weights=False"]
    return Evidence(
        bool(np.all(np.array(train) == 0) and np.isnan(evaluation).all()), r
    )


@claim(
    "torch.minus-1e9-overflows-in-float16",
    framework="torch",
    statement="-1e9 is -inf in float16, so an additive -1e9 mask gives NaN for a row with "
    "nothing to attend; masked_softmax gives zeros.",
)
def minus_1e9_overflows_in_float16():
    r = _pt().half_precision_fill()
    holds = (
        r["minus_1e9_in_float16"] == float("-inf")
        and np.isnan(r["additive_softmax"][1]).all()
        and r["masked_softmax"][1] == [0.0, 0.0, 0.0]
    )
    return Evidence(
        bool(holds),
        {
            k: r[k]
            for k in ("minus_1e9_in_float16", "additive_softmax", "masked_softmax")
        },
    )


@claim(
    "torch.masked-fill-minus-1e9-raises-in-float16",
    framework="torch",
    statement="masked_fill(mask, -1e9) on a float16 tensor raises instead of filling.",
)
def masked_fill_minus_1e9_raises_in_float16():
    error = _pt().half_precision_fill()["masked_fill_error"]
    return Evidence(bool(error), {"error": error})


@claim(
    "torch.micro-batch-means-differ",
    framework="torch",
    statement="Averaging the token means of micro-batches is not the token mean of the batch; "
    "summing and dividing by all real tokens is.",
)
def micro_batch_means_differ():
    r = _pt().micro_batch_means()
    whole = r["whole batch, ignore_index mean"]
    holds = (
        abs(r["mean of micro-batch means"] - whole) > 1e-3
        and abs(r["sum of micro-batch sums / all real tokens"] - whole) < 1e-5
    )
    return Evidence(bool(holds), r)


@claim(
    "torch.generation-wants-left-padding-and-positions",
    framework="torch",
    statement="Batched next-token logits equal the unbatched ones only with left padding and "
    "position ids that skip the pads.",
)
def generation_wants_left_padding_and_positions():
    r = _pt().batched_generation()
    holds = (
        r["left padding, positions skip the pads"] < 1e-5
        and r["right padding"] > 1e-3
        and r["left padding, positions 0..T-1"] > 1e-3
    )
    return Evidence(bool(holds), r)


@claim(
    "torch.conv-and-batchnorm-leak-padding",
    framework="torch",
    statement="Conv1d and BatchNorm1d (training) let the values at pad positions change the "
    "outputs at real positions.",
)
def conv_and_batchnorm_leak_padding():
    r = _pt().leaks_across_padding()
    return Evidence(all(v > 1e-3 for v in r.values()), r)
