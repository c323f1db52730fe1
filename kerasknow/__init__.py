"""kerasknow: knowledge bases to served TensorFlow models, with TFX.

Importing kerasknow sets `TF_USE_LEGACY_KERAS=1` (see `kerasknow._env`) so it must come before
TensorFlow's first import. Heavy modules load lazily on attribute access.
"""
from kerasknow import _env  # noqa: F401  (must run before TensorFlow is imported)

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it; loaded on first access so `kerasknow --help` stays fast.
_LAZY = {
    "RunConfig": "kerasknow.config",
    "RejectsReport": "kerasknow.data.rejects_report",
    "KnowledgeRecord": "kerasknow.data.knowledge_record",
    "TaskFamily": "kerasknow.tasks.task_family",
    "Finding": "kerasknow.tasks.task_family",
    "get_task_family": "kerasknow.tasks.registry",
    "KerasknowError": "kerasknow.errors",
    "ConfigError": "kerasknow.errors",
    "DataError": "kerasknow.errors",
    "KnowledgeValidationError": "kerasknow.errors",
    "BlessingError": "kerasknow.errors",
    "MissingDependencyError": "kerasknow.errors",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kerasknow' has no attribute {name!r}")


def __dir__():
    return __all__
