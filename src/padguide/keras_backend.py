"""The one indirection through which padguide reaches Keras.

``PADGUIDE_KERAS=keras`` (the default) selects Keras 3; ``PADGUIDE_KERAS=tf_keras``
selects Keras 2 as packaged in ``tf-keras``. Experiments and claims call
:func:`get_keras` instead of importing Keras, so the same claims run on both.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["KERAS_ENV", "get_keras", "is_keras3"]

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
