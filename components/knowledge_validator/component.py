"""KnowledgeValidator component."""
from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import (ANOMALIES_KEY, CONFIG_KEY, EXAMPLES_KEY, KEPT_SCHEMA_KEY,
                                                 PREVIOUS_MODEL_KEY, REPORT_KEY, SCHEMA_KEY, STATISTICS_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeReport
from kerasknow.components.knowledge_validator import executor
from kerasknow.components.knowledge_validator.spec import KnowledgeValidatorSpec
from kerasknow.config import RunConfig


class KnowledgeValidator(base_component.BaseComponent):
    """Validates knowledge before training and stops the pipeline on error-severity findings.

    Runs TFDV's `validate_statistics` against the schema for each split and the task family's
    own checks (for text: duplicates, conflicting labels, examples per label, empty texts,
    truncation at `model.max_seq_length` with the real tokenizer). On an update it validates
    against the schema the previous knowledge base kept (a curated `validation.schema_path`
    wins), admits new labels as new knowledge (info), reports labels the update lacks, measures
    drift against the previous knowledge base's statistics with TFDV's comparators, and reports
    examples whose labels differ from the old knowledge's. Free-text features get no string
    domain. Writes `report.json`/`report.txt`, TFDV's Facets statistics page, the anomalies,
    TensorBoard summaries under `<output>/tensorboard/<run>/validation`, and the schema it kept
    (`kept_schema`: the next update's; a copy in the run's reports).

    Args:
        examples: Channel of `Examples` from `KnowledgeExampleGen`.
        statistics: Channel of `ExampleStatistics` from `StatisticsGen`.
        schema: Channel of `Schema` from `SchemaGen` or `ImportSchemaGen`.
        config: The run config; the component keeps the sections it reads (`CONFIG_SECTIONS`:
            thresholds, the reader settings, the model's tokenizer and `update.corrections`).
        previous_model: The blessed model an update builds on (it names its knowledge base), or None.
    """

    SPEC_CLASS = KnowledgeValidatorSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    CONFIG_SECTIONS = ("ingest", "validation", "model", "update")

    def __init__(self, examples: types.BaseChannel, statistics: types.BaseChannel,
                 schema: types.BaseChannel, config: RunConfig,
                 previous_model: Optional[types.BaseChannel] = None):
        super().__init__(spec=KnowledgeValidatorSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS), EXAMPLES_KEY: examples, STATISTICS_KEY: statistics,
            SCHEMA_KEY: schema, PREVIOUS_MODEL_KEY: previous_model,
            ANOMALIES_KEY: channel_utils.as_channel([standard_artifacts.ExampleAnomalies()]),
            REPORT_KEY: channel_utils.as_channel([KnowledgeReport()]),
            KEPT_SCHEMA_KEY: channel_utils.as_channel([standard_artifacts.Schema()])}))
