"""KnowledgeEvaluator's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.component_keys import (BASELINE_MODEL_KEY, BLESSING_KEY, CONFIG_KEY, EVALUATION_KEY,
                                                 EXAMPLES_KEY, MODEL_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeEvaluation


class KnowledgeEvaluatorSpec(ComponentSpec):
    """Inputs: the trained model and the examples; outputs: the blessing and the evaluation."""

    PARAMETERS = {CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {
        MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
        EVALUATION_KEY: ChannelParameter(type=KnowledgeEvaluation),
    }
