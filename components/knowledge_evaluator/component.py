"""KnowledgeEvaluator component."""
from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import BLESSING_KEY, CONFIG_KEY, EVALUATION_KEY, EXAMPLES_KEY, MODEL_KEY
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

    Args:
        model: Channel of `Model` from the Trainer.
        examples: Channel of `Examples` (its `eval` split is used).
        config: The run config; the component keeps the `blessing` section (`CONFIG_SECTIONS`).
    """

    SPEC_CLASS = KnowledgeEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)
    CONFIG_SECTIONS = ("blessing",)

    def __init__(self, model: types.BaseChannel, examples: types.BaseChannel, config: RunConfig):
        super().__init__(spec=KnowledgeEvaluatorSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS), MODEL_KEY: model, EXAMPLES_KEY: examples,
            BLESSING_KEY: channel_utils.as_channel([standard_artifacts.ModelBlessing()]),
            EVALUATION_KEY: channel_utils.as_channel([KnowledgeEvaluation()])}))
