"""KnowledgeBase's component spec."""
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ComponentSpec, ExecutionParameter

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, KNOWLEDGE_KEY, KNOWLEDGE_SCHEMA_KEY,
                                                 KNOWLEDGE_STATISTICS_KEY, PREVIOUS_MODEL_KEY,
                                                 SCHEMA_KEY, TRAINING_KEY)


class KnowledgeBaseSpec(ComponentSpec):
    """Inputs: the new examples, the validated schema, and (on an update) the blessed model, which
    names the knowledge base it learnt; outputs: the training examples, the accumulated knowledge,
    its statistics and its schema (what the next update builds on)."""

    PARAMETERS = {CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
        PREVIOUS_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        TRAINING_KEY: ChannelParameter(type=standard_artifacts.Examples),
        KNOWLEDGE_KEY: ChannelParameter(type=standard_artifacts.Examples),
        KNOWLEDGE_STATISTICS_KEY: ChannelParameter(type=standard_artifacts.ExampleStatistics),
        KNOWLEDGE_SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
    }
