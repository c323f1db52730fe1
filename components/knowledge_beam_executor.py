"""The base of kerasknow's executors whose work is a Beam pipeline (ingest, knowledge validation)."""
from tfx.dsl.components.base import base_beam_executor

from kerasknow.components.knowledge_executor import KnowledgeExecutor


class KnowledgeBeamExecutor(KnowledgeExecutor, base_beam_executor.BaseBeamExecutor):
    """A `KnowledgeExecutor` that runs Beam: `self._make_beam_pipeline()` (TFX's) builds the pipeline
    with the run's `--beam-arg` flags, so `--runner=DataflowRunner|FlinkRunner|SparkRunner` or the
    DirectRunner's `--direct_running_mode=multi_processing` carry the step as they carry
    StatisticsGen. Its component declares `executor_spec.BeamExecutorSpec(Executor)`, through which
    TFX hands the pipeline's `beam_pipeline_args` to it. Without them: the DirectRunner in this process.
    """
