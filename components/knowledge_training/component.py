"""TFX's Tuner and Trainer components with kerasknow's run-aware executors.

Their parameters, channels and outputs are TFX's own; `create_pipeline` gives them the node ids
`Tuner` and `Trainer`.
"""
from tfx import v1 as tfx
from tfx.dsl.components.base import executor_spec

from kerasknow.components.knowledge_training.executor import TrainerExecutor, TunerExecutor


class KnowledgeTuner(tfx.components.Tuner):
    """`tfx.components.Tuner` whose `tuner_fn` learns the pipeline run id."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(TunerExecutor)


class KnowledgeTrainer(tfx.components.Trainer):
    """`tfx.components.Trainer` (generic executor) whose `run_fn` learns the pipeline run id."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(TrainerExecutor)
