"""Each recipe and experiment module runs with the other framework absent.

``padguide.torch`` must not need TensorFlow or Keras, and ``padguide.keras``
and ``padguide.experiments.keras`` must not need torch: a reader who installs
one extra gets a working module. Each case runs in a fresh interpreter in
which the other framework cannot be imported (``sys.modules[name] = None``
makes ``import name`` raise), and calls the module's code, not only imports it.
A module whose own framework is missing raises an ImportError that names the
extra to install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

TORCH = ("torch",)
TENSORFLOW = ("tensorflow", "keras", "tf_keras", "jax")

CASES = {
    "padguide.torch recipes without TensorFlow or Keras": (
        TENSORFLOW,
        """
        import padguide.torch as pt
        mask = pt.lengths_to_mask([2, 1], max_len=3)
        assert mask.tolist() == [[True, True, False], [True, False, False]]
        assert float(pt.masked_mean(mask.float(), mask).sum()) == 2.0
        """,
    ),
    "padguide.experiments.torch without TensorFlow or Keras": (
        TENSORFLOW,
        """
        import padguide.experiments.torch as pt
        run = pt.seed_experiment()
        assert (run.pad_row_gradient == 0).all()
        """,
    ),
    "padguide.keras recipes without torch": (
        TORCH,
        """
        import numpy as np
        import padguide.keras as pk
        mask = pk.lengths_to_mask(np.array([2, 1]), max_len=3)
        assert np.asarray(mask).tolist() == [[True, True, False], [True, False, False]]
        """,
    ),
    "padguide.experiments.keras without torch": (
        TORCH,
        """
        import padguide.experiments.keras as pk
        run = pk.seed_experiment("masked")
        assert run.mask is not None and not run.mask.all()
        """,
    ),
    "padguide.experiments.tensorflow without torch": (
        TORCH,
        """
        import padguide.experiments.keras as pk
        import padguide.experiments.tensorflow as ptf
        results = ptf.densify_methods(pk.seed_experiment("dense").sparse)
        assert any(r.correct for r in results)
        """,
    ),
    "import padguide, batching and numpy recipes without any framework": (
        TORCH + TENSORFLOW,
        """
        import padguide, padguide.batching, padguide.numpy, padguide.corpus
        import padguide.example, padguide.results, padguide.claims
        assert padguide.numpy.lengths_to_mask([1], max_len=2).tolist() == [[True, False]]
        """,
    ),
}

MISSING = {
    "padguide.torch": (TORCH, 'pip install "padguide[torch]"'),
    "padguide.keras": (("keras",), 'pip install "padguide[tensorflow]"'),
    "padguide.figures": (("matplotlib",), 'pip install "padguide[figures]"'),
}


def _run(blocked: tuple[str, ...], code: str) -> subprocess.CompletedProcess:
    prelude = "import sys\n" + "".join(f"sys.modules[{n!r}] = None\n" for n in blocked)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_module_runs_without_the_other_framework(case):
    blocked, code = CASES[case]
    done = _run(blocked, code)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("module", list(MISSING))
def test_missing_framework_names_the_extra(module):
    blocked, advice = MISSING[module]
    done = _run(blocked, f"import {module}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:"), last
    assert advice in last, last


def test_blocking_works():
    """The control: with nothing blocked, the same import of a blocked name succeeds."""
    assert _run((), "import torch").returncode == 0
    assert _run(TORCH, "import torch").returncode != 0
