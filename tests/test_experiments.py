"""The experiments the pages render: right numbers, deterministic, framework-free results."""

from __future__ import annotations

import json

import numpy as np
import pytest

import padguide.experiments.keras as pk
import padguide.experiments.tensorflow as ptf
import padguide.experiments.torch as pt
import padguide.keras as keras_recipes
from padguide.example import running_example
from padguide.experiments.compare import side_by_side, summary_table


def test_torch_classic_gradient_matches_the_chain_rule():
    run = pt.seed_experiment()
    assert run.ids.tolist() == [[1, 1, 2, 6, 0], [1, 5, 5, 0, 0]]
    assert (run.weight[0] == 0).all()
    assert (run.gradient[0] == 0).all()
    np.testing.assert_allclose(
        run.gradient, run.gradient_by_hand(), rtol=1e-5, atol=1e-6
    )
    assert run.counts.tolist() == [3, 3, 1, 0, 0, 2, 1]


def test_torch_twelfth_night_run_is_labelled_by_token():
    run = pt.twelfth_night_experiment()
    example = running_example()
    assert run.tokens == example.vocab.tokens
    assert run.weight.shape == (len(example.vocab), 4)
    table = run.gradient_table([0, 2])
    assert table.index[0] == "0 <pad> ← pad"
    assert (table.iloc[0, :4] == 0).all()
    assert table["count"].iloc[0] == (example.ids == 0).sum()


def test_experiments_are_deterministic():
    a, b = pt.twelfth_night_experiment(), pt.twelfth_night_experiment()
    np.testing.assert_array_equal(a.gradient, b.gradient)
    c, d = pk.seed_experiment("dense"), pk.seed_experiment("dense")
    np.testing.assert_array_equal(c.gradient, d.gradient)
    assert not np.array_equal(pt.seed_experiment(seed=1).gradient, a.gradient[:7, :1])


@pytest.mark.parametrize("consumer", pk.CONSUMERS)
def test_keras_runs_return_indexed_slices_as_numpy(consumer):
    run = pk.seed_experiment(consumer)
    assert isinstance(run.gradient, np.ndarray)
    assert run.sparse is not None
    assert run.sparse.kind == "tf.IndexedSlices"
    assert run.sparse.indices.tolist() == run.ids.ravel().tolist()
    np.testing.assert_allclose(run.sparse.to_dense(), run.gradient, atol=1e-6)
    assert run.mask.tolist() == (run.ids != 0).tolist()
    pad_grad = np.abs(run.gradient[0]).max()
    assert (pad_grad == 0) == (consumer == "masked")


def test_keras_rejects_unknown_consumer():
    with pytest.raises(ValueError, match="consumer must be one of"):
        pk.seed_experiment("maybe")


@pytest.mark.parametrize("experiment", ["classic", "twelfth-night"])
def test_side_by_side_agrees_to_1e6(experiment):
    sbs = side_by_side(experiment)
    np.testing.assert_array_equal(sbs.torch.weight, sbs.keras_masked.weight)
    assert sbs.max_gradient_difference(sbs.keras_masked) <= 1e-6
    assert sbs.max_gradient_difference(sbs.keras_dense, slice(1, None)) <= 1e-6
    assert np.abs(sbs.keras_dense.gradient[0]).max() > 0


def test_side_by_side_rejects_unknown_experiment():
    with pytest.raises(ValueError, match="experiment must be one of"):
        side_by_side("hamlet")


def test_densify_methods_flag_the_wrong_one():
    results = {
        r.method: r.correct
        for r in ptf.densify_methods(pk.seed_experiment("dense").sparse)
    }
    assert results == {
        "tf.convert_to_tensor": True,
        "tf.math.unsorted_segment_sum": True,
        "tf.scatter_nd": True,
        "tf.tensor_scatter_nd_update": False,
    }


def test_densify_recipe_rejects_other_types():
    with pytest.raises(TypeError, match=r"gradient must be a tf\.IndexedSlices"):
        keras_recipes.densify([1, 2])


@pytest.mark.parametrize("layer", pk.LAYERS)
def test_layer_masking_reports_consumers(layer):
    result = pk.layer_masking(layer)
    # Position-wise layers (Dense, Dropout, ...) match on the real positions trivially.
    leaks = {"GlobalMaxPooling1D", "Conv1D"}
    assert result.padded_equals_unpadded == (layer not in leaks)
    assert bool(result.warning) == (layer in leaks)
    assert result.output_has_mask == (
        layer not in leaks | {"LSTM", "GRU"} | {"GlobalAveragePooling1D"}
    )


def test_layer_masking_rejects_unknown_side():
    with pytest.raises(ValueError, match="side must be"):
        pk.layer_masking("LSTM", side="middle")


def test_pad_row_drift_rejects_unknown_optimizer():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        pt.pad_row_drift("Adagrad")


def test_optimizer_drift_rejects_unknown_optimizer():
    with pytest.raises(ValueError, match="name must be one of"):
        pt.optimizer_drift("Adagrad")


def test_summary_table_is_computed():
    table = summary_table().data
    assert table.shape == (5, 3)
    assert table.loc["pad row's gradient"].iloc[0] == "zero"
    assert table.loc["pad row's gradient"].iloc[1].startswith("non-zero")
    assert table.loc["gradient object"].iloc[1] == "tf.IndexedSlices"
    json.dumps(table.to_dict())


@pytest.mark.parametrize("module", [pt, pk])
@pytest.mark.parametrize(
    ("ids", "error", "match"),
    [
        ([[1, 7]], ValueError, r"ids must lie in \[0, 3\).*got 7"),
        ([[1, -1]], ValueError, r"ids must lie in \[0, 3\).*got -1"),
        ([[1, 2], [1]], ValueError, "ids must be rectangular"),
        ([1, 2], ValueError, "ids must be two-dimensional"),
        ([[1.0, 2.0]], TypeError, "ids must hold integers"),
    ],
)
def test_experiments_reject_bad_ids(module, ids, error, match):
    with pytest.raises(error, match=match):
        module.embedding_run(ids, ["<pad>", "a", "b"])


def test_padding_invariance_controls_come_out_the_other_way():
    r = pt.padding_invariance()
    assert r["Conv1d(kernel_size=3), padding zeroed"] < 1e-5
    assert r["two Conv1d, padding zeroed once"] > 1e-3
    assert r["two Conv1d, padding zeroed before each"] < 1e-5
