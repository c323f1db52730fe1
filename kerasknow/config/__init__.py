"""The run configuration: top-level fields and one section per concern.

`RunConfig` is what the CLI, YAML files, the pipeline and every component share; see
`kerasknow.config.sections` for the sections and which steps read them.
"""
from kerasknow.config.run_config import RunConfig, SectionNotGiven
from kerasknow.config.sections import (SECTION_TYPES, BlessingConfig, FinetuneConfig, IngestConfig, ModelConfig,
                                       ServingConfig, TrainingConfig, TuningConfig, UpdateConfig,
                                       ValidationConfig)
from kerasknow.config.settings import setting
from kerasknow.config.task_specs import TASK_SPECS, TASKS
