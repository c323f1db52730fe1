"""Task families by name."""
import importlib
from typing import Dict

from kerasknow.config import TASKS
from kerasknow.errors import ConfigError

# Imported lazily: a family pulls in TensorFlow and its model libraries.
_FAMILIES: Dict[str, str] = {
    "text-classification": "kerasknow.tasks.text_classification:TextClassification",
    "ner": "kerasknow.tasks.ner:NamedEntityRecognition",
    "image-classification": "kerasknow.tasks.image_classification:ImageClassification",
}


def get_task_family(name: str):
    """Returns a new instance of the task family registered as `name`.

    Raises:
        ConfigError: For an unknown name.
    """
    if name not in _FAMILIES:
        raise ConfigError(f"Unknown task {name!r}. Expected one of {list(TASKS)}.")
    module, cls = _FAMILIES[name].split(":")
    return getattr(importlib.import_module(module), cls)()
