"""KnowledgePusher component."""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, MODEL_BLESSING_KEY, MODEL_KEY,
                                                  PREFLIGHT_KEY, PUSHED_MODEL_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgePreflight
from kerasknow.components.knowledge_pusher import executor
from kerasknow.components.knowledge_pusher.spec import KnowledgePusherSpec
from kerasknow.config import RunConfig


class KnowledgePusher(base_component.BaseComponent):
    """Pushes a blessed model to its TF Serving model base path, after a preflight.

    In place of TFX's Pusher, with the same output (`pushed_model`, a `PushedModel` with the
    `pushed`, `pushed_destination` and `pushed_version` properties):

    1. An unblessed model is not pushed (`pushed` = 0).
    2. The SavedModel is staged inside the model base path with warm-up requests built from
       the eval split (`serving.warmup_requests`).
    3. The preflight (`kerasknow.serving.preflight`) checks it loads and answers in TF Serving
       2.16's environment; a failure stops the run with the reason and pushes nothing.
    4. The staged folder is renamed to the next version number (atomic on local disks).
    5. `models.config` gets the version (and, following TF Serving's label rule, the `stable`
       or `canary` label once the server has loaded it); `batching.config` and
       `monitoring.config` are written beside it; old versions beyond `serving.keep_versions`
       are deleted.

    Args:
        model: Channel of `Model` from the Trainer.
        model_blessing: Channel of `ModelBlessing` from the KnowledgeEvaluator.
        examples: Channel of `Examples` (its `eval` split feeds the warm-up requests).
        config: The run config; the component keeps the `serving` section (`CONFIG_SECTIONS`).
    """

    SPEC_CLASS = KnowledgePusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
    CONFIG_SECTIONS = ("serving",)

    def __init__(self, model: types.BaseChannel, model_blessing: types.BaseChannel, examples: types.BaseChannel,
                 config: RunConfig):
        super().__init__(spec=KnowledgePusherSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS), MODEL_KEY: model, MODEL_BLESSING_KEY: model_blessing,
            EXAMPLES_KEY: examples,
            PUSHED_MODEL_KEY: channel_utils.as_channel([standard_artifacts.PushedModel()]),
            PREFLIGHT_KEY: channel_utils.as_channel([KnowledgePreflight()])}))
