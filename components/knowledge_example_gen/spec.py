"""KnowledgeExampleGen's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.component_keys import CONFIG_KEY, EXAMPLES_KEY, INPUT_FINGERPRINT_KEY, REJECTS_KEY
from kerasknow.components.knowledge_artifacts import KnowledgeRejects


class KnowledgeExampleGenSpec(ComponentSpec):
    """Parameters: the config sections it reads (JSON) and a fingerprint of the input files."""

    PARAMETERS = {
        CONFIG_KEY: ExecutionParameter(type=str),
        INPUT_FINGERPRINT_KEY: ExecutionParameter(type=str),
    }
    INPUTS = {}
    OUTPUTS = {
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        REJECTS_KEY: ChannelParameter(type=KnowledgeRejects),
    }
