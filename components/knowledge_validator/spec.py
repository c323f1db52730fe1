"""KnowledgeValidator's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.component_keys import (ANOMALIES_KEY, CONFIG_KEY, EXAMPLES_KEY, KEPT_SCHEMA_KEY,
                                                 PREVIOUS_MODEL_KEY, REPORT_KEY, SCHEMA_KEY, STATISTICS_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeReport


class KnowledgeValidatorSpec(ComponentSpec):
    """Inputs: examples, their statistics, the schema and (updates) the blessed model, which names
    the knowledge base it learnt; outputs: anomalies, the report and the schema kept."""

    PARAMETERS = {CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
        PREVIOUS_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        ANOMALIES_KEY: ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        REPORT_KEY: ChannelParameter(type=KnowledgeReport),
        KEPT_SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
    }
