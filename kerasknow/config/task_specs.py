"""Every task family's `TaskSpec`, by name: what config validation and the CLI read.

The specs are declarations in each family's folder that import nothing but `TaskSpec`, so this
table loads without TensorFlow. `kerasknow.family.registry` maps the same names to the family
classes.
"""
from typing import Dict, Tuple

from kerasknow.images.image_spec import IMAGE_CLASSIFICATION
from kerasknow.ner.ner_spec import NER
from kerasknow.task_spec import TaskSpec
from kerasknow.text.text_spec import TEXT_CLASSIFICATION

TASK_SPECS: Dict[str, TaskSpec] = {spec.name: spec for spec in (TEXT_CLASSIFICATION, NER, IMAGE_CLASSIFICATION)}
TASKS: Tuple[str, ...] = tuple(TASK_SPECS)
