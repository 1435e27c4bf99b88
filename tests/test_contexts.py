"""The context matrix: every recipe, in every context a reader puts it in, equals the NumPy reference.

PyTorch runs in this process (one compiled function per recipe, reused for
boolean and 0/1 masks); each Keras backend runs in its own process, since the
backend is fixed per process. The page "Where each recipe runs" shows the same
cells.
"""

from __future__ import annotations

import pytest

from padguide.experiments import contexts


# Inductor itself calls the deprecated torch.jit.script_method (torch 2.13).
@pytest.mark.filterwarnings(
    "ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"
)
@pytest.mark.parametrize("recipe", contexts.TORCH_RECIPES)
def test_torch_recipe_holds_in_every_context(recipe):
    result = contexts.torch_matrix((recipe,))
    assert contexts.failures({"PyTorch": result}) == []
    assert set(result[recipe]) == set(contexts.TORCH_CONTEXTS)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keras_recipes_hold_in_every_context(backend):
    pytest.importorskip(backend)
    result = contexts._run(["--backend", backend])
    assert contexts.failures({f"Keras ({backend})": result}) == []
    assert set(result) == set(contexts.KERAS_RECIPES)


def test_a_failing_cell_is_reported_not_raised():
    cells = {"g": {"r": {"c": contexts._fail(ValueError("boom\nmore"))}}}
    assert contexts.failures(cells) == ["g / r / c: fail: ValueError: boom"]
    assert contexts._close([1.0, 2.0], [1.0, 2.5], 1e-3).startswith("max difference")
    assert contexts._close([[True]], [[True, False]], 0).startswith("shape")
