"""KnowledgeValidator's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.knowledge_artifacts import KnowledgeReport


class KnowledgeValidatorSpec(ComponentSpec):
    """Inputs: examples, their statistics and the schema; outputs: anomalies and the report."""

    PARAMETERS = {"config": ExecutionParameter(type=str)}
    INPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "statistics": ChannelParameter(type=standard_artifacts.ExampleStatistics),
        "schema": ChannelParameter(type=standard_artifacts.Schema),
    }
    OUTPUTS = {
        "anomalies": ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        "report": ChannelParameter(type=KnowledgeReport),
    }
