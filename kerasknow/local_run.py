"""Runs the knowledge pipeline locally and compiles it for Kubeflow Pipelines."""
import dataclasses
import json
import os
from typing import List, Optional

from kerasknow.config import RunConfig
from kerasknow.errors import BlessingError

IMPORTED_SCHEMAS = os.path.join("schema", "imported")


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


def imported_schema(config: RunConfig) -> str:
    """The user's curated schema (`validation.schema_path`) at a path named by its content, or "".

    TFX's ImportSchemaGen is cached on the file's path: an edited schema at the same path would be
    silently ignored. A copy under `<output>/schema/imported/<sha256>.pbtxt` makes the cache key
    the content.

    Raises:
        ConfigError: When the file does not exist.
    """
    import hashlib

    from tfx.dsl.io import fileio

    from kerasknow.config import setting
    from kerasknow.errors import ConfigError

    path = config.validation.schema_path
    if not path:
        return ""
    if not fileio.exists(path):
        raise ConfigError(f"The schema file does not exist. Received: {setting('validation.schema_path')}={path!r}")
    with fileio.open(path, "rb") as f:
        content = f.read()
    target = os.path.join(config.output, IMPORTED_SCHEMAS, hashlib.sha256(content).hexdigest()[:16] + ".pbtxt")
    if not fileio.exists(target):
        fileio.makedirs(os.path.dirname(target))
        with fileio.open(target, "wb") as f:
            f.write(content)
    return target


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

    from kerasknow.metadata.blessed_model import latest_blessed_model

    os.makedirs(config.output, exist_ok=True)
    previous = latest_blessed_model(os.path.join(config.output, "metadata.sqlite"))
    if previous is not None:
        print(f"[kerasknow] {config.output} holds a blessed model (version {previous.pushed_version or 'not pushed'}, "
              f"knowledge base of {previous.knowledge_size} examples): this run is an update with "
              f"{config.data} (update.strategy: {config.update.strategy}), or a rerun if that knowledge is "
              "already in it.", flush=True)
    pipeline = create_pipeline(
        config, pipeline_root=os.path.join(config.output, "tfx"),
        metadata_path=os.path.join(config.output, "metadata.sqlite"),
        beam_pipeline_args=beam_pipeline_args, schema_path=imported_schema(config), enable_tuning=enable_tuning)
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
    pushed = step_output(metadata_path, "KnowledgePusher", "pushed_model")
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
                               beam_pipeline_args=beam_pipeline_args, schema_path=imported_schema(config),
                               kubeflow=True)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
        output_filename=os.path.basename(output_file),
        output_dir=os.path.dirname(os.path.abspath(output_file)))
    runner.run(pipeline, write_out=True)
    return output_file
