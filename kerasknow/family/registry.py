"""Task families by name."""
import importlib
from typing import Dict

from kerasknow.config import TASKS
from kerasknow.errors import ConfigError

# Imported lazily: a family pulls in TensorFlow and its model libraries. Every name here has a
# `TaskSpec` in `kerasknow.config.task_specs` (a test checks the two agree).
FAMILIES: Dict[str, str] = {
    "text-classification": "kerasknow.tasks.text_classification:TextClassification",
    "ner": "kerasknow.tasks.ner:NamedEntityRecognition",
    "image-classification": "kerasknow.tasks.image_classification:ImageClassification",
}


def get_task_family(name: str):
    """Returns a new instance of the task family registered as `name`.

    Raises:
        ConfigError: For an unknown name.

    Example:

    >>> get_task_family("ner").tuner_objective
    'val_token_accuracy'
    """
    if name not in FAMILIES:
        raise ConfigError(f"Unknown task {name!r}. Expected one of {list(TASKS)}. Received: task={name!r}")
    module, cls = FAMILIES[name].split(":")
    return getattr(importlib.import_module(module), cls)()
