"""KnowledgeEvaluator's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.knowledge_artifacts import KnowledgeEvaluation


class KnowledgeEvaluatorSpec(ComponentSpec):
    """Inputs: the trained model and the examples; outputs: the blessing and the evaluation."""

    PARAMETERS = {"config": ExecutionParameter(type=str)}
    INPUTS = {
        "model": ChannelParameter(type=standard_artifacts.Model),
        "examples": ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {
        "blessing": ChannelParameter(type=standard_artifacts.ModelBlessing),
        "evaluation": ChannelParameter(type=KnowledgeEvaluation),
    }
