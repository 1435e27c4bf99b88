"""Shared set-up: keep TensorFlow quiet and deterministic before anything imports it."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from hypothesis import HealthCheck, settings

# Fixture sites for the book's Sphinx extensions (tests/test_extensions.py).
pytest_plugins = ("sphinx.testing.fixtures",)

# Deterministic property tests: the same examples on every run and machine.
settings.register_profile(
    "padguide",
    max_examples=100,
    deadline=None,  # the first call into TensorFlow or PyTorch is slow
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("padguide")
