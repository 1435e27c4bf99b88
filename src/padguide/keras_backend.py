"""The one indirection through which padguide reaches Keras.

``PADGUIDE_KERAS=keras`` (the default) selects Keras 3; ``PADGUIDE_KERAS=tf_keras``
selects Keras 2 as packaged in ``tf-keras``. Experiments and claims call
:func:`get_keras` instead of importing Keras, so the same claims run on both.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["BACKENDS", "KERAS_ENV", "current_backend", "get_keras", "is_keras3"]

BACKENDS = ("tensorflow", "jax", "torch")
"""The Keras 3 backends the book checks its Keras claims on, one process each."""

KERAS_ENV = "PADGUIDE_KERAS"
_CHOICES = ("keras", "tf_keras")


def get_keras() -> ModuleType:
    """The Keras module selected by ``$PADGUIDE_KERAS``."""
    name = os.environ.get(KERAS_ENV, "keras")
    if name not in _CHOICES:
        raise ValueError(f"${KERAS_ENV} must be one of {_CHOICES}, got {name!r}")
    return importlib.import_module(name)


def is_keras3(keras: ModuleType) -> bool:
    return int(keras.__version__.split(".")[0]) >= 3


def current_backend() -> str:
    """The Keras backend of this process, read without importing Keras where possible.

    Keras 2 (``PADGUIDE_KERAS=tf_keras``) always runs on TensorFlow. Keras 3
    picks its backend once per process: ``$KERAS_BACKEND``, else the
    ``backend`` of ``keras.json`` in ``$KERAS_HOME`` (default ``~/.keras``),
    else TensorFlow. Once Keras is imported, it is asked directly.
    """
    if os.environ.get(KERAS_ENV, "keras") == "tf_keras":
        return "tensorflow"
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return str(keras.backend.backend())
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        return str(json.loads((home / "keras.json").read_text())["backend"])
    except (OSError, ValueError, KeyError, TypeError):
        return "tensorflow"
