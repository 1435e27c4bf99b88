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
    torch.manual_seed(0)
    free = torch.nn.Embedding(7, 3).weight[0].detach().numpy()
    return Evidence(
        bool((row == 0).all()),
        row,
        control={"without padding_idx, row 0": free},
        control_differs=bool(np.abs(free).max() > 0),
    )


@claim(
    "torch.pad-row-no-gradient",
    framework="torch",
    statement="The pad row's gradient is zero, however many pad positions the batch has; "
    "without padding_idx the same row gets a gradient.",
)
def pad_row_no_gradient():
    pt = _pt()
    run = pt.twelfth_night_experiment()
    # The control: the same model and ids without padding_idx.
    free = pt.embedding_run(
        run.ids, run.tokens, dim=run.weight.shape[1], padding_idx=None
    )
    return Evidence(
        bool((run.pad_row_gradient == 0).all()) and run.counts[0] > 0,
        {"pad_positions": run.counts[0], "pad_gradient": run.pad_row_gradient},
        control={"without padding_idx, row 0 gradient": free.gradient[0]},
        control_differs=bool(np.abs(free.gradient[0]).max() > 0),
    )


@claim(
    "torch.pad-output-is-pad-row",
    framework="torch",
    statement="At pad positions a freshly constructed nn.Embedding(padding_idx=0) outputs "
    "row 0, which is all zeros; without padding_idx the same position outputs a random row.",
)
def pad_output_is_pad_row():
    import torch

    from padguide.example import CLASSIC_IDS

    ids = torch.as_tensor(CLASSIC_IDS)
    outputs = {}
    for padding_idx in (0, None):
        torch.manual_seed(0)
        emb = torch.nn.Embedding(7, 3, padding_idx=padding_idx)
        out = emb(ids)[ids == 0].detach().numpy()
        outputs[padding_idx] = (out, emb.weight[0].detach().numpy())
    out, row0 = outputs[0]
    free_out, _ = outputs[None]
    return Evidence(
        bool((out == row0).all() and (out == 0).all()),
        {"pad_positions": len(out), "output_at_first_pad": out[0], "row0": row0},
        control={"without padding_idx, output at first pad": free_out[0]},
        control_differs=bool(np.abs(free_out).max() > 0),
    )


@claim(
    "torch.gradient-sums-over-occurrences",
    framework="torch",
    statement="A row's gradient is the sum over its occurrences: with a plain sum loss, "
    "its count in the batch.",
)
def gradient_sums_over_occurrences():
    ids = (1, 1, 2, 0)
    gradient = _pt().scale_grad_by_freq_run(ids)["plain"]
    counts = np.bincount(ids, minlength=len(gradient)).astype(float)
    counts[0] = 0  # the pad row (padding_idx=0) gets nothing
    return Evidence(
        bool(np.array_equal(gradient, counts)),
        {"ids": list(ids), "counts_of_non_pad_ids": counts, "gradient": gradient},
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
    r, free = _pt().custom_pad_vector(), _pt().custom_pad_vector(padding_idx=None)
    return Evidence(
        bool(np.array_equal(r.pad_row_after, r.pad_row_before)),
        {"before": r.pad_row_before, "after": r.pad_row_after, "steps": r.steps},
        control={"without padding_idx, after": free.pad_row_after},
        control_differs=not np.array_equal(free.pad_row_after, free.pad_row_before),
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
    r, free = _pt().from_pretrained_run(), _pt().from_pretrained_run(padding_idx=None)
    return Evidence(
        bool((r.pad_gradient == 0).all()) and r.other_gradient_norm > 0,
        {
            "pad_gradient": r.pad_gradient,
            "other_rows_gradient_norm": r.other_gradient_norm,
        },
        control={"without padding_idx, pad_gradient": free.pad_gradient},
        control_differs=bool(np.abs(free.pad_gradient).max() > 0),
    )


@claim(
    "torch.functional-embedding-no-zeroing",
    framework="torch",
    statement="F.embedding(padding_idx=0) zeroes nothing: it only withholds the pad row's gradient.",
)
def functional_embedding_no_zeroing():
    r, free = _pt().functional_run(), _pt().functional_run(padding_idx=None)
    return Evidence(
        bool(
            np.array_equal(r.output_at_pad, r.pretrained_pad_row)
            and np.abs(r.output_at_pad).max() > 0
            and (r.pad_gradient == 0).all()
        ),
        {
            "w0": r.pretrained_pad_row,
            "output_at_pad": r.output_at_pad,
            "pad_gradient": r.pad_gradient,
        },
        control={"without padding_idx, pad_gradient": free.pad_gradient},
        control_differs=bool(np.abs(free.pad_gradient).max() > 0),
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
        {"padding_idx": emb.padding_idx, "row9": emb.weight[9].detach().numpy()},
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
    ids = (1, 1, 2)
    g = _pt().scale_grad_by_freq_run(ids)
    counts = np.bincount(ids, minlength=len(g["plain"])).astype(float)
    expected = np.divide(
        g["plain"], counts, out=np.zeros_like(counts), where=counts > 0
    )
    return Evidence(
        bool(np.allclose(g["scaled"], expected)),
        {"ids": list(ids), "counts": counts, "scaled": g["scaled"]},
        control={"without scale_grad_by_freq": g["plain"]},
        control_differs=not np.allclose(g["plain"], g["scaled"]),
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
    statement="sparse=True together with scale_grad_by_freq=True runs forward, then raises "
    "a RuntimeError naming both in backward; scale_grad_by_freq alone backpropagates.",
)
def sparse_rejects_scale_grad_by_freq():
    r = _pt().sparse_run()
    error = r.scale_grad_error
    return Evidence(
        r.scale_grad_forward_error == ""
        and error.startswith("RuntimeError")
        and "scale_grad_by_freq" in error
        and "sparse" in error,
        {"forward_error": r.scale_grad_forward_error, "backward_error": error},
        control={"dense, backward_error": r.scale_grad_dense_error},
        control_differs=r.scale_grad_dense_error == "",
    )


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


for _name, _control in (
    ("SGD(weight_decay=0.1)", "SGD"),
    ("Adam(weight_decay=0.1)", "Adam"),
    ("AdamW(weight_decay=0.1)", "Adam"),
):
    _slug = _name.split("(")[0].lower()

    @claim(
        f"torch.{_slug}-weight-decay-moves-pad-row",
        framework="torch",
        statement=f"{_name} moves a non-zero pad row although its gradient is zero "
        f"(without weight decay it stays); a zero pad row stays zero.",
    )
    def weight_decay_moves_pad_row(name=_name, control=_control):
        d, shown = _drift(name)
        c, _ = _drift(control)
        return Evidence(
            d.nonzero_pad_row_moved > 0 and d.zero_pad_row_moved == 0,
            shown,
            control={f"{control}, nonzero_pad_row_moved": c.nonzero_pad_row_moved},
            control_differs=c.nonzero_pad_row_moved == 0,
        )


@claim(
    "torch.adam-coupled-decay-moves-by-lr",
    framework="torch",
    statement="Adam's weight_decay adds decay × weight to a zero gradient, and Adam normalises "
    "the update, so a non-zero pad row moves by about lr per step whatever the decay: "
    "weight_decay=1e-6 moves it about as far as 0.1 (lr 0.1, 5 steps).",
)
def adam_coupled_decay_moves_by_lr():
    tiny, large, none = (
        _pt().optimizer_drift(n)
        for n in ("Adam(weight_decay=1e-6)", "Adam(weight_decay=0.1)", "Adam")
    )
    ratio = tiny.nonzero_pad_row_moved / large.nonzero_pad_row_moved
    return Evidence(
        bool(ratio > 0.9),
        {
            "after_5_steps_weight_decay_1e-6": tiny.nonzero_pad_row_after,
            "after_5_steps_weight_decay_0.1": large.nonzero_pad_row_after,
            "moved_1e-6_over_moved_0.1": ratio,
        },
        control={"weight_decay=0, nonzero_pad_row_moved": none.nonzero_pad_row_moved},
        control_differs=none.nonzero_pad_row_moved == 0,
    )


@claim(
    "torch.tied-weights-defeat-padding-idx",
    framework="torch",
    statement="Tying an output layer to the embedding gives the pad row a non-zero gradient "
    "despite padding_idx.",
)
def tied_weights_defeat_padding_idx():
    grad, untied = _pt().tied_weights_run(), _pt().tied_weights_run(tied=False)
    return Evidence(
        bool(np.abs(grad).max() > 0),
        {"pad_row_gradient": grad},
        control={"untied, pad_row_gradient": untied},
        control_differs=bool((untied == 0).all()),
    )


@claim(
    "torch.embedding-bag-mean-skips-pad",
    framework="torch",
    statement="EmbeddingBag(mode='mean', padding_idx=0) averages only the real ids, whatever "
    "row 0 holds; Embedding followed by .mean(1) averages over the padded length, pad rows "
    "included.",
)
def embedding_bag_mean_skips_pad():
    r = _pt().bag_vs_mean()
    return Evidence(
        bool(np.allclose(r.bag_mean, r.mean_of_real_rows)),
        {
            "pad_row": r.pad_row,
            "bag": r.bag_mean,
            "mean_of_real_rows": r.mean_of_real_rows,
        },
        control={
            "embedding_then_mean": r.embedding_then_mean,
            "sum_over_padded_length": r.sum_over_padded_length,
        },
        control_differs=bool(
            np.allclose(r.embedding_then_mean, r.sum_over_padded_length)
            and not np.allclose(r.embedding_then_mean, r.mean_of_real_rows)
        ),
    )


@claim(
    "torch.embedding-bag-all-pad-is-zero",
    framework="torch",
    statement="An EmbeddingBag(padding_idx=0) bag holding only padding gives a zero vector, "
    "even when row 0 is not zero.",
)
def embedding_bag_all_pad_is_zero():
    r = _pt().bag_vs_mean()
    return Evidence(
        bool((r.all_pad_bag == 0).all()),
        {"pad_row": r.pad_row, "all_pad_bag": r.all_pad_bag},
        control={"embedding_then_mean": r.all_pad_embedding_mean},
        control_differs=bool(np.abs(r.all_pad_embedding_mean).max() > 0),
    )


@claim(
    "torch.embedding-bag-ignores-pad-weights",
    framework="torch",
    statement="per_sample_weights at pad positions are ignored by "
    "EmbeddingBag(mode='sum', padding_idx=0), even when row 0 is not zero.",
)
def embedding_bag_ignores_pad_weights():
    r = _pt().bag_vs_mean()
    return Evidence(
        bool(np.allclose(r.weighted_sum, r.sum_of_real_rows)),
        {
            "pad_row": r.pad_row,
            "pad_weights": r.pad_weights,
            "weighted_sum": r.weighted_sum,
            "sum_of_real_rows": r.sum_of_real_rows,
        },
        control={"weighted_sum_with_pads": r.weighted_sum_with_pads},
        control_differs=not np.allclose(r.weighted_sum_with_pads, r.weighted_sum),
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
    return Evidence(
        moved["SparseAdam"] == 0,
        {"SparseAdam, absent row moved": moved["SparseAdam"]},
        control={"dense Adam, absent row moved": moved["Adam"]},
        control_differs=moved["Adam"] > 0,
    )


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
    "need_weights=True, in training and in eval mode (CPU).",
)
def mha_all_padded_query_nan():
    r = _pt().all_padded_query()
    cells = [r["train, need_weights=True"], r["eval, need_weights=True"]]
    return Evidence(bool(np.isnan(cells).all()), r)


@claim(
    "torch.mha-all-padded-query-depends-on-path",
    framework="torch",
    statement="With need_weights=False the same query gets NaN only on the fused fast path, "
    "which needs eval mode and autograd off (torch.no_grad); in training mode, or in eval "
    "mode with autograd on, it gets 0 (CPU).",
)
def mha_all_padded_query_depends_on_path():
    r = _pt().all_padded_query()
    fast = r["eval, need_weights=False"]
    train = r["train, need_weights=False"]
    grad_on = r["eval, need_weights=False, autograd on"]
    return Evidence(
        bool(np.isnan(fast).all() and np.all(np.array(train) == 0)),
        {"eval, no_grad": fast, "train, no_grad": train},
        control={"eval, autograd on": grad_on},
        control_differs=bool(np.all(np.array(grad_on) == 0)),
    )


@claim(
    "torch.sdpa-all-masked-row-is-zero",
    framework="torch",
    statement="F.scaled_dot_product_attention returns zeros for a query whose boolean "
    "attn_mask is all False (PyTorch 2.5 and later, CPU); a softmax over scores filled with "
    "-inf gives NaN there.",
)
def sdpa_all_masked_row_is_zero():
    r = _pt().sdpa_all_masked_row()
    out = np.array(r["sdpa_output_all_masked_row"])
    plain = np.array(r["softmax_with_minus_inf_row"])
    return Evidence(
        bool((out == 0).all() and r["sdpa_output_other_row_abs_max"] > 0),
        {
            k: r[k]
            for k in ("sdpa_output_all_masked_row", "sdpa_output_other_row_abs_max")
        },
        control={"softmax_with_minus_inf_row": plain},
        control_differs=bool(np.isnan(plain).all()),
    )


@claim(
    "torch.minus-1e9-overflows-in-float16",
    framework="torch",
    statement="-1e9 is -inf in float16, so an additive -1e9 mask gives NaN for a float16 row "
    "with nothing to attend (in float32 the same mask gives a finite row); masked_softmax "
    "gives zeros.",
)
def minus_1e9_overflows_in_float16():
    r = _pt().half_precision_fill()
    holds = (
        r["minus_1e9_in_float16"] == float("-inf")
        and np.isnan(r["additive_softmax"][1]).all()
        and np.all(np.array(r["masked_softmax"][1]) == 0)
    )
    float32_row = np.array(r["additive_softmax_float32"][1])
    return Evidence(
        bool(holds),
        {
            k: r[k]
            for k in ("minus_1e9_in_float16", "additive_softmax", "masked_softmax")
        },
        control={"float32, additive_softmax": r["additive_softmax_float32"]},
        control_differs=bool(np.isfinite(float32_row).all()),
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
    summed = r["sum of micro-batch sums / all real tokens"]
    return Evidence(
        bool(abs(r["mean of micro-batch means"] - whole) > 1e-3),
        {
            k: r[k]
            for k in ("whole batch, ignore_index mean", "mean of micro-batch means")
        },
        control={"sum of micro-batch sums / all real tokens": summed},
        control_differs=abs(summed - whole) < 1e-5,
    )


def _generation():
    return _pt().batched_generation()


@claim(
    "torch.generation-right-padding-read-at-length",
    framework="torch",
    statement="Batched with a longer prompt and right-padded, a short prompt's next-token logits "
    "match the prompt alone when read at its own last token (length - 1); the batch's last "
    "column is a pad there and gives other logits.",
)
def generation_right_padding_read_at_length():
    r = _generation()
    at_length = r["right padding, read at length - 1"]
    last = r["right padding, read at the last column"]
    return Evidence(
        at_length < 1e-5,
        {"right padding, read at length - 1": at_length},
        control={"right padding, read at the last column": last},
        control_differs=last > 1e-3,
    )


@claim(
    "torch.generation-left-padding-needs-positions",
    framework="torch",
    statement="With learned absolute position embeddings, a left-padded prompt's next-token "
    "logits match the prompt alone only if the position ids skip the pads; positions "
    "0..T-1 shift the prompt by the number of pads.",
)
def generation_left_padding_needs_positions():
    r = _generation()
    skip = r["left padding, positions skip the pads"]
    plain = r["left padding, positions 0..T-1"]
    return Evidence(
        skip < 1e-5,
        {"left padding, positions skip the pads": skip},
        control={"left padding, positions 0..T-1": plain},
        control_differs=plain > 1e-3,
    )


@claim(
    "torch.generation-rotary-ignores-shift",
    framework="torch",
    statement="With rotary position embeddings (RoPE) instead, positions 0..T-1 under left "
    "padding still match the prompt alone: shifting every position by the same amount leaves "
    "the attention scores unchanged.",
)
def generation_rotary_ignores_shift():
    r = _generation()
    rotary = r["rotary, left padding, positions 0..T-1"]
    learned = r["left padding, positions 0..T-1"]
    return Evidence(
        rotary < 1e-5,
        {"rotary, left padding, positions 0..T-1": rotary},
        control={"learned positions, left padding, positions 0..T-1": learned},
        control_differs=learned > 1e-3,
    )


def _invariance():
    return _pt().padding_invariance()


@claim(
    "torch.conv-and-batchnorm-leak-padding",
    framework="torch",
    statement="Conv1d(kernel_size=3) and BatchNorm1d in training mode let the values at pad "
    "positions change the outputs at real positions; a kernel_size=1 Conv1d and BatchNorm1d "
    "in eval mode do not.",
)
def conv_and_batchnorm_leak_padding():
    r = _pt().leaks_across_padding()
    leaks = {k: r[k] for k in ("Conv1d(kernel_size=3)", "BatchNorm1d (training)")}
    controls = {k: r[k] for k in ("Conv1d(kernel_size=1)", "BatchNorm1d (eval)")}
    return Evidence(
        all(v > 1e-3 for v in leaks.values()),
        leaks,
        control=controls,
        control_differs=all(v < 1e-5 for v in controls.values()),
    )


@claim(
    "torch.zeroing-padding-fixes-one-conv",
    framework="torch",
    statement="Zeroing the padding before a padding='same' Conv1d makes its real positions "
    "equal the unpadded run's (the mask goes on the time axis, mask[:, None, :], for "
    "channels-first input).",
)
def zeroing_padding_fixes_one_conv():
    r = _invariance()
    zeroed = r["Conv1d(kernel_size=3), padding zeroed"]
    raw = r["Conv1d(kernel_size=3), padding as it is"]
    return Evidence(
        zeroed < 1e-5,
        {"padding zeroed": zeroed},
        control={"padding as it is": raw},
        control_differs=raw > 1e-3,
    )


@claim(
    "torch.stacked-convs-need-zeroing-before-each",
    framework="torch",
    statement="Two stacked Conv1d layers need the padding zeroed before each: zeroed once at "
    "the input, the first layer writes non-zero values into the pad positions, which the "
    "second reads.",
)
def stacked_convs_need_zeroing_before_each():
    r = _invariance()
    each = r["two Conv1d, padding zeroed before each"]
    once = r["two Conv1d, padding zeroed once"]
    return Evidence(
        each < 1e-5,
        {"zeroed before each": each},
        control={"zeroed once": once},
        control_differs=once > 1e-3,
    )


@claim(
    "torch.packed-lstm-equals-unpadded",
    framework="torch",
    statement="nn.LSTM over pack_padded_sequence(x, lengths, enforce_sorted=False) gives each "
    "sequence's unpadded final state h_n; over the padded batch it runs through the pads.",
)
def packed_lstm_equals_unpadded():
    r = _pt().packed_lstm()
    packed, padded = r["packed (pack_padded_sequence)"], r["padded, not packed"]
    return Evidence(
        packed < 1e-5,
        {"packed (pack_padded_sequence)": packed},
        control={"padded, not packed": padded},
        control_differs=padded > 1e-3,
    )


def _attention():
    return _pt().padded_attention()


@claim(
    "torch.mha-key-padding-mask-equals-unpadded",
    framework="torch",
    statement="nn.MultiheadAttention with key_padding_mask gives each sequence's unpadded "
    "result at its real positions (eval mode); without the mask the padding changes them.",
)
def mha_key_padding_mask_equals_unpadded():
    r = _attention()
    masked = r["nn.MultiheadAttention + key_padding_mask"]
    free = r["nn.MultiheadAttention, no mask"]
    return Evidence(
        masked < 1e-5,
        {"with key_padding_mask": masked},
        control={"no mask": free},
        control_differs=free > 1e-3,
    )


@claim(
    "torch.sdpa-mask-equals-unpadded",
    framework="torch",
    statement="F.scaled_dot_product_attention with padguide's sdpa_mask gives each sequence's "
    "unpadded result at its real positions; without a mask the padding changes them.",
)
def sdpa_mask_equals_unpadded():
    r = _attention()
    masked = r["F.scaled_dot_product_attention + sdpa_mask (causal)"]
    free = r["F.scaled_dot_product_attention, no mask"]
    return Evidence(
        masked < 1e-5,
        {"with sdpa_mask (causal)": masked},
        control={"no mask": free},
        control_differs=free > 1e-3,
    )


@claim(
    "torch.causal-mask-hides-right-padding",
    framework="torch",
    statement="With right padding, a causal mask alone already keeps real positions from "
    "attending to the pads, which all come later.",
)
def causal_mask_hides_right_padding():
    r = _attention()
    causal = r["F.scaled_dot_product_attention, causal, no padding mask"]
    free = r["F.scaled_dot_product_attention, no mask"]
    return Evidence(
        causal < 1e-5,
        {"causal, no padding mask": causal},
        control={"not causal, no mask": free},
        control_differs=free > 1e-3,
    )
