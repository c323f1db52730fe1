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

    def __init__(self, context=None):
        # A plain executor context (an ExecutorClassSpec, a test) carries no Beam flags: the
        # DirectRunner in this process (TFX's BaseBeamExecutor would refuse such a context).
        if context is not None and not isinstance(context, base_beam_executor.BaseBeamExecutor.Context):
            context = base_beam_executor.BaseBeamExecutor.Context(
                extra_flags=context.extra_flags, tmp_dir=context._tmp_dir, unique_id=context._unique_id,
                executor_output_uri=context._executor_output_uri,
                stateful_working_dir=context._stateful_working_dir, pipeline_node=context._pipeline_node,
                pipeline_info=context._pipeline_info, pipeline_run_id=context._pipeline_run_id)
        super().__init__(context)
