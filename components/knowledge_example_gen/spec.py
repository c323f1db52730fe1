"""KnowledgeExampleGen's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.knowledge_artifacts import KnowledgeRejects


class KnowledgeExampleGenSpec(ComponentSpec):
    """Parameters: the run config (JSON) and a fingerprint of the input files (for caching)."""

    PARAMETERS = {
        "config": ExecutionParameter(type=str),
        "input_fingerprint": ExecutionParameter(type=str),
    }
    INPUTS = {}
    OUTPUTS = {
        "examples": ChannelParameter(type=standard_artifacts.Examples),
        "rejects": ChannelParameter(type=KnowledgeRejects),
    }
