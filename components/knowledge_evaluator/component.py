"""KnowledgeEvaluator component."""
from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import (BASELINE_MODEL_KEY, BLESSING_KEY, CONFIG_KEY, EVALUATION_KEY,
                                                 EXAMPLES_KEY, MODEL_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeEvaluation
from kerasknow.components.knowledge_evaluator import executor
from kerasknow.components.knowledge_evaluator.spec import KnowledgeEvaluatorSpec
from kerasknow.config import RunConfig


class KnowledgeEvaluator(base_component.BaseComponent):
    """Evaluates the exported SavedModel through its raw-input signature and blesses it.

    Metrics come from the task family (classification: accuracy, macro-F1, per-class
    precision/recall/F1, confusion matrix, PR curves). They go to `metrics.json`, to
    `<output>/reports/<run>/evaluation/` and to TensorBoard under
    `<output>/tensorboard/<run>/evaluation` (`kerasknow.metrics.evaluation_board`). The model is
    blessed when `accuracy >= blessing.min_accuracy` and `f1 >= blessing.min_f1`; TFX's Pusher
    pushes only blessed models.

    On an update (`baseline_model`: the blessed model the update started from) it also scores
    the candidate and the blessed model on the old knowledge's held-out examples (`eval_old`) and
    the candidate on the new knowledge's (`eval_new`): forgetting per old class, absorption,
    backward transfer and the training's cost (`kerasknow.metrics.retention`), and blesses only
    a candidate that keeps the old knowledge (`blessing.max_forgetting`, `blessing.max_absorption`)
    and learns the new (the baseline gate on `eval_new`).

    Args:
        model: Channel of `Model` from the Trainer.
        examples: Channel of the training `Examples` (KnowledgeBase: `eval`, `eval_old`, `eval_new`).
        config: The run config; the component keeps the `blessing` section (`CONFIG_SECTIONS`).
        baseline_model: The blessed model an update started from, or None.
    """

    SPEC_CLASS = KnowledgeEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
    CONFIG_SECTIONS = ("blessing",)

    def __init__(self, model: types.BaseChannel, examples: types.BaseChannel, config: RunConfig,
                 baseline_model: Optional[types.BaseChannel] = None):
        super().__init__(spec=KnowledgeEvaluatorSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS), MODEL_KEY: model, EXAMPLES_KEY: examples,
            BASELINE_MODEL_KEY: baseline_model,
            BLESSING_KEY: channel_utils.as_channel([standard_artifacts.ModelBlessing()]),
            EVALUATION_KEY: channel_utils.as_channel([KnowledgeEvaluation()])}))
