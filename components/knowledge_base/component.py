"""KnowledgeBase component."""
from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, KNOWLEDGE_KEY, KNOWLEDGE_SCHEMA_KEY,
                                                 KNOWLEDGE_STATISTICS_KEY, PREVIOUS_MODEL_KEY,
                                                 SCHEMA_KEY, TRAINING_KEY)
from kerasknow.components.knowledge_base import executor
from kerasknow.components.knowledge_base.spec import KnowledgeBaseSpec
from kerasknow.config import RunConfig


class KnowledgeBase(base_component.BaseComponent):
    """Merges the new knowledge into the old and writes the examples the Trainer learns from.

    On a first run (no `previous_model`) the knowledge base is the new knowledge and the training
    examples are its splits. On an update the new examples are merged into the knowledge base the
    blessed model learnt (`kerasknow.update.previous_knowledge`), by the rules of
    `kerasknow.update.knowledge_merge`, as one Beam pipeline (`beam_merge.py`; the run's
    `--beam-arg` flags carry it to a cluster as they carry ingest): known examples once, corrections per
    `update.corrections`, old labels keeping their class ids and new ones appended; the training
    examples follow `update.strategy` (the replay sample included for `replay`), with `eval_old`
    and `eval_new` splits for measuring forgetting. For NER with `update.old_model_labels`, the
    previous model tags the old entity types the new knowledge leaves as `O`.

    Outputs: `training` (splits `train`, `eval`, `eval_old`, `eval_new`, `old_sample`, and
    `labels.json`), `knowledge` (the accumulated knowledge base, `train`/`eval`), its TFDV
    `knowledge_statistics` and `knowledge_schema`: the Trainer names them in the model artifact, and
    the next update finds them there.

    Args:
        examples: The new knowledge (KnowledgeExampleGen).
        schema: The schema the validator kept for this knowledge (it includes new labels).
        config: The run config; the component keeps the `update` and `training` sections.
        previous_model: The blessed model to update, resolved from ML Metadata; None on a first run.
    """

    SPEC_CLASS = KnowledgeBaseSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    CONFIG_SECTIONS = ("update", "training")

    def __init__(self, examples: types.BaseChannel, schema: types.BaseChannel, config: RunConfig,
                 previous_model: Optional[types.BaseChannel] = None):
        super().__init__(spec=KnowledgeBaseSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS), EXAMPLES_KEY: examples, SCHEMA_KEY: schema,
            PREVIOUS_MODEL_KEY: previous_model,
            TRAINING_KEY: channel_utils.as_channel([standard_artifacts.Examples()]),
            KNOWLEDGE_KEY: channel_utils.as_channel([standard_artifacts.Examples()]),
            KNOWLEDGE_STATISTICS_KEY: channel_utils.as_channel([standard_artifacts.ExampleStatistics()]),
            KNOWLEDGE_SCHEMA_KEY: channel_utils.as_channel([standard_artifacts.Schema()])}))
