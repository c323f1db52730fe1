"""KnowledgeValidator component."""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.knowledge_artifacts import KnowledgeReport
from kerasknow.components.knowledge_validator import executor
from kerasknow.components.knowledge_validator.spec import KnowledgeValidatorSpec
from kerasknow.config import RunConfig


class KnowledgeValidator(base_component.BaseComponent):
    """Validates knowledge before training and stops the pipeline on error-severity findings.

    Runs TFDV's `validate_statistics` against the schema for each split and the task family's
    own checks (for text: duplicates, conflicting labels, examples per label, empty texts,
    truncation at `max_seq_length` with the real tokenizer). Writes `report.json`/`report.txt`,
    the TFDV anomalies, and TensorBoard summaries under `<output>/tensorboard/validation`; the
    schema it validated against is kept at `<output>/schema/schema.pbtxt` for later runs.

    Args:
        examples: Channel of `Examples` from `KnowledgeExampleGen`.
        statistics: Channel of `ExampleStatistics` from `StatisticsGen`.
        schema: Channel of `Schema` from `SchemaGen` or `ImportSchemaGen`.
        config: The run config (thresholds).
    """

    SPEC_CLASS = KnowledgeValidatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(self, examples: types.BaseChannel, statistics: types.BaseChannel,
                 schema: types.BaseChannel, config: RunConfig):
        super().__init__(spec=KnowledgeValidatorSpec(
            config=config.to_json(), examples=examples, statistics=statistics, schema=schema,
            anomalies=channel_utils.as_channel([standard_artifacts.ExampleAnomalies()]),
            report=channel_utils.as_channel([KnowledgeReport()])))
