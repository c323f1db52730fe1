"""Runs the knowledge pipeline locally and compiles it for Kubeflow Pipelines."""
import dataclasses
import json
import os
from typing import List, Optional

from kerasknow.config import RunConfig
from kerasknow.errors import BlessingError

KEPT_SCHEMA = os.path.join("schema", "schema.pbtxt")


@dataclasses.dataclass
class RunResult:
    """What one local run produced, read from ML Metadata for this run (cached steps included).

    Args:
        output: The output folder.
        pushed_model: The served version folder this run's model was pushed to (by this run, or by
            the earlier run whose cached push it reused); None when nothing was pushed.
        metrics: This run's evaluation (`metrics.json` of the evaluator execution it ran or reused).
        reports: The reports folder.
        tensorboard_logdir: The TensorBoard log folder.
        cached_steps: Nodes whose outputs this run reused instead of running them.
    """

    output: str
    pushed_model: Optional[str]
    metrics: dict
    reports: str
    tensorboard_logdir: str
    cached_steps: List[str] = dataclasses.field(default_factory=list)


def schema_for(config: RunConfig) -> str:
    """The user's schema, else the schema kept by the first run, else "" (infer it)."""
    if config.validation.schema_path:
        return config.validation.schema_path
    kept = os.path.join(config.output, KEPT_SCHEMA)
    return kept if os.path.exists(kept) else ""


def newest_version(model_base_path: str) -> Optional[str]:
    """The newest integer version directory under a TF Serving model base path."""
    if not os.path.isdir(model_base_path):
        return None
    versions = [int(d) for d in os.listdir(model_base_path) if d.isdigit()
                and os.path.exists(os.path.join(model_base_path, d, "saved_model.pb"))]
    return os.path.join(model_base_path, str(max(versions))) if versions else None


def run_local(config: RunConfig, beam_pipeline_args: Optional[List[str]] = None,
              enable_tuning: bool = True) -> RunResult:
    """Runs the pipeline with `LocalDagRunner` and SQLite ML Metadata under `config.output`.

    A rerun with the same inputs reuses cached steps.

    Args:
        config: The run config.
        beam_pipeline_args: Passed to the Beam-based steps.
        enable_tuning: Run the Keras Tuner search before training.

    Returns:
        A `RunResult`.

    Raises:
        BlessingError: When the model trained but failed its blessing thresholds (nothing pushed).
    """
    from tfx import v1 as tfx

    from kerasknow.pipelines import create_pipeline

    os.makedirs(config.output, exist_ok=True)
    pipeline = create_pipeline(
        config, pipeline_root=os.path.join(config.output, "tfx"),
        metadata_path=os.path.join(config.output, "metadata.sqlite"),
        beam_pipeline_args=beam_pipeline_args, schema_path=schema_for(config), enable_tuning=enable_tuning)
    tfx.orchestration.LocalDagRunner().run(pipeline)
    return run_result(config)


def run_result(config: RunConfig) -> RunResult:
    """The figures and the pushed version of the newest run under `config.output`, from ML Metadata.

    Raises:
        BlessingError: When that run's model was not blessed (nothing was pushed).
    """
    from tfx.dsl.io import fileio

    from kerasknow.metadata.run_step import pipeline_run_steps, step_output

    metadata_path = os.path.join(config.output, "metadata.sqlite")
    cached = [s.node for s in pipeline_run_steps(metadata_path) if s.state == "cached"]
    evaluation = step_output(metadata_path, "KnowledgeEvaluator", "evaluation")
    metrics_path = os.path.join(evaluation.uri, "metrics.json")
    with fileio.open(metrics_path, "r") as f:
        metrics = json.loads(f.read())
    if not metrics.get("blessed"):
        served = newest_version(config.serving_model_dir())
        raise BlessingError(
            "The model was trained but NOT blessed, so nothing was pushed: "
            + "; ".join(metrics.get("not_blessed_because", []))
            + (f". The served version stays {served}" if served else "") + f". Metrics: {metrics_path}")
    pushed = step_output(metadata_path, "Pusher", "pushed_model")
    destination = None
    if pushed is not None and pushed.custom_properties["pushed"].int_value:
        destination = pushed.custom_properties["pushed_destination"].string_value
    return RunResult(output=config.output, pushed_model=destination, metrics=metrics, reports=config.reports_dir(),
                     tensorboard_logdir=config.output, cached_steps=cached)


def compile_kubeflow(config: RunConfig, output_file: str, image: str,
                     beam_pipeline_args: Optional[List[str]] = None) -> str:
    """Writes the Kubeflow Pipelines V2 spec (JSON) of the same pipeline.

    Args:
        config: The run config; paths in it must be reachable from the cluster (e.g. `gs://`).
        output_file: The JSON file to write.
        image: A container image with kerasknow installed (see BUILD.md).
        beam_pipeline_args: For the Beam steps, e.g. Dataflow flags.

    Returns:
        `output_file`.
    """
    from tfx import v1 as tfx

    from kerasknow.pipelines import create_pipeline

    pipeline = create_pipeline(config, pipeline_root=os.path.join(config.output, "tfx"), metadata_path=None,
                               beam_pipeline_args=beam_pipeline_args, schema_path=config.validation.schema_path)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_filename=os.path.basename(output_file),
        output_dir=os.path.dirname(os.path.abspath(output_file)))
    runner.run(pipeline, write_out=True)
    return output_file
