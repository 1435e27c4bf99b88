"""A recipe pasted on its own, with the imports the book prepends, runs its own example."""

from __future__ import annotations

import doctest
import inspect
import re

import pytest

import padguide.keras as pk
import padguide.numpy as pn
import padguide.torch as pt

SHARED = (
    "lengths_to_mask", "mask_to_lengths", "masked_sum", "masked_mean", "masked_max",
    "masked_softmax", "to_left_padding", "to_right_padding", "masked_cross_entropy",
)  # fmt: skip
IMPORTS = {
    pn: "import numpy as np\n",
    pt: "import torch\n",
    pk: "import keras\nimport numpy as np\n",
}
RECIPES = (
    [(pn, name) for name in SHARED]
    + [(pt, name) for name in SHARED]
    + [(pk, name) for name in SHARED]
)
RECIPES += [(pt, "mask_from_ids"), (pt, "key_padding_mask"), (pt, "sdpa_mask")]
RECIPES += [
    (pk, "attention_mask"),
    (pk, "MaskedDense"),
    (pk, "PaddingIdxEmbedding"),
    (pk, "densify"),
]
# densify is about a TensorFlow type, so the book prepends TensorFlow to it.
EXTRA_IMPORTS = {"densify": "import numpy as np\nimport tensorflow as tf\n"}


@pytest.mark.parametrize(
    ("module", "name"), RECIPES, ids=[f"{m.__name__}.{n}" for m, n in RECIPES]
)
def test_recipe_runs_as_pasted(module, name):
    imports = EXTRA_IMPORTS.get(name, IMPORTS[module])
    source = imports + "\n" + inspect.getsource(getattr(module, name))
    head = source.split('"""')[0]  # package="padguide" (the serialization name) is fine
    assert not re.search(r"(import|from) padguide|padguide\.", head), (
        "a recipe must not import padguide"
    )
    namespace: dict = {}
    exec(compile(source, f"<pasted {name}>", "exec"), namespace)  # noqa: S102 -- a reader's fresh file
    pasted = namespace[name]
    finder = doctest.DocTestFinder(recurse=False)
    tests = finder.find(pasted, name, globs=namespace)
    assert tests, f"{name} has no docstring"
    assert tests[0].examples, f"{name} has no example"
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{name}'s example fails when pasted on its own"
