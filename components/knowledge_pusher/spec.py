"""KnowledgePusher's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, MODEL_BLESSING_KEY, MODEL_KEY,
                                                  PREFLIGHT_KEY, PUSHED_MODEL_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgePreflight


class KnowledgePusherSpec(ComponentSpec):
    """Inputs: the trained model, its blessing and the examples (warm-up requests come from the
    eval split); outputs: the pushed model (TFX's `PushedModel`) and the preflight report."""

    PARAMETERS = {CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {
        MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        MODEL_BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {
        PUSHED_MODEL_KEY: ChannelParameter(type=standard_artifacts.PushedModel),
        PREFLIGHT_KEY: ChannelParameter(type=KnowledgePreflight),
    }
