"""Runs the knowledge pipeline locally (`kerasknow.kubeflow_compile` compiles it for Kubeflow)."""
import dataclasses
import json
import logging
import os
from typing import List, Optional

from kerasknow.config import RunConfig
from kerasknow.errors import BlessingError

IMPORTED_SCHEMAS = os.path.join("schema", "imported")

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class RunResult:
    """What one local run produced, read from ML Metadata for this run (cached steps included).

    Args:
        output: The output folder.
        run_id: The pipeline run id; it names `reports/<run>/` and `tensorboard/<run>/`.
        pushed_model: The served version folder this run's model was pushed to (by this run, or by
            the earlier run whose cached push it reused); None when nothing was pushed.
        metrics: This run's evaluation (`metrics.json` of the evaluator execution it ran or reused).
        reports: This run's reports folder (`reports/<run>`; a cached step's reports are a link to
            the folder of the run that made them).
        tensorboard_logdir: The TensorBoard log folder (every run's `<run>/` in it).
        cached_steps: Nodes whose outputs this run reused instead of running them.
        statistics_page: TFDV's statistics page of the validated knowledge (`statistics.html`),
            or "" when there is none.
    """

    output: str
    run_id: str
    pushed_model: Optional[str]
    metrics: dict
    reports: str
    tensorboard_logdir: str
    cached_steps: List[str] = dataclasses.field(default_factory=list)
    statistics_page: str = ""


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
    """The newest complete version directory under a TF Serving model base path (any file system)."""
    import tensorflow as tf

    if not tf.io.gfile.isdir(model_base_path):
        return None
    names = [d.rstrip("/") for d in tf.io.gfile.listdir(model_base_path)]
    versions = [int(d) for d in names if d.isdigit()
                and tf.io.gfile.exists(os.path.join(model_base_path, d, "saved_model.pb"))]
    return os.path.join(model_base_path, str(max(versions))) if versions else None


def run_local(config: RunConfig, beam_pipeline_args: Optional[List[str]] = None,
              enable_tuning: bool = True, console=None) -> RunResult:
    """Runs the pipeline with `LocalDagRunner` and SQLite ML Metadata under `config.output`.

    Each run gets a readable id (`20260314-102233`, `kerasknow.metadata.pipeline_runs.new_run_id`)
    as its TFX pipeline run id: ML Metadata records it, the steps write `reports/<run>/` and
    `tensorboard/<run>/`, and `reports/latest` links to the newest run's reports. A rerun with the
    same inputs reuses cached steps; their reports stay with the run that made them
    (`reports/<run>/<part>` links there) and their TensorBoard data too.

    Args:
        config: The run config.
        beam_pipeline_args: Passed to the Beam-based steps.
        enable_tuning: Run the Keras Tuner search before training.
        console: A `kerasknow.progress.Console` for one line per step as it ends (the command
            line passes one); None prints nothing.

    Returns:
        A `RunResult`.

    Raises:
        BlessingError: When the model trained but failed its blessing thresholds (nothing pushed).
    """
    from tfx import v1 as tfx

    from kerasknow.metadata.blessed_model import latest_blessed_model
    from kerasknow.pipelines import create_pipeline
    from kerasknow.run_progress import StepWatcher

    from tfx.dsl.io import fileio

    fileio.makedirs(config.output)
    os.makedirs(config.local_dir(), exist_ok=True)  # SQLite: local even for an output URI
    metadata_path = config.metadata_path()
    previous = latest_blessed_model(metadata_path)
    update_line = ""
    if previous is not None:
        update_line = (f"[kerasknow] {config.output} holds a blessed model (version "
                       f"{previous.pushed_version or 'not pushed'}, knowledge base of {previous.knowledge_size} "
                       f"examples): this run is an update with {config.data} (update.strategy: "
                       f"{config.update.strategy}), or a rerun if that knowledge is already in it.")
    pipeline = create_pipeline(
        config, pipeline_root=os.path.join(config.output, "tfx"), metadata_path=metadata_path,
        beam_pipeline_args=beam_pipeline_args, schema_path=imported_schema(config), enable_tuning=enable_tuning)
    run_id = _new_run_id(config)
    if update_line:
        logger.info("%s", update_line)
    link_latest_reports(config, run_id)
    ir = pipeline_ir(pipeline, run_id)
    try:
        if console is None:
            tfx.orchestration.LocalDagRunner().run_with_ir(ir)
        else:
            console.line(f"[kerasknow] run {run_id}: {config.task} on {config.data}")
            if update_line:
                console.line(update_line)
            with StepWatcher(metadata_path, run_id, console, config.output):
                tfx.orchestration.LocalDagRunner().run_with_ir(ir)
    finally:
        link_cached_reports(config, run_id)
    return run_result(config, run_id)


def _new_run_id(config: RunConfig) -> str:
    from kerasknow.metadata.pipeline_runs import new_run_id, pipeline_runs

    from tfx.dsl.io import fileio

    metadata_path = config.metadata_path()
    taken = [r.run_id for r in pipeline_runs(metadata_path)] if os.path.exists(metadata_path) else []
    reports = config.reports_dir()
    taken += [n.rstrip("/") for n in fileio.listdir(reports)] if fileio.isdir(reports) else []
    return new_run_id(taken)


def pipeline_ir(pipeline, run_id: str):
    """The pipeline compiled to TFX's IR with `run_id` as its pipeline run id.

    `LocalDagRunner.run` would name the run by its start time (`datetime.now().isoformat()`);
    `run_with_ir` keeps an id set here.
    """
    from tfx.dsl.compiler import compiler
    from tfx.dsl.compiler import constants
    from tfx.orchestration.portable import runtime_parameter_utils

    ir = compiler.Compiler().compile(pipeline)
    runtime_parameter_utils.substitute_runtime_parameter(ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})
    return ir


#: On a file system without links (`gs://`, `s3://`, ...), the file naming the newest run.
LATEST_FILE = "LATEST"


def _relink(link: str, target: str) -> None:
    """Points the symlink `link` at `target` (a relative path), replacing an older link."""
    if os.path.islink(link):
        os.remove(link)
    if not os.path.exists(link):
        os.symlink(target, link)


def link_latest_reports(config: RunConfig, run_id: str) -> str:
    """Creates `reports/<run_id>/` and points `reports/latest` at it; returns the folder.

    Object stores have no links: there `reports/LATEST` holds the newest run's id instead.
    """
    from tfx.dsl.io import fileio

    from kerasknow.config.run_config import is_uri

    folder = config.reports_dir(run_id)
    fileio.makedirs(folder)
    if is_uri(config.output):
        from kerasknow.data.file_system import write_file

        write_file(os.path.join(config.reports_dir(), LATEST_FILE), run_id + "\n")
    else:
        _relink(os.path.join(config.reports_dir(), "latest"), run_id)
    return folder


def link_cached_reports(config: RunConfig, run_id: str) -> None:
    """Links `reports/<run>/<part>` to the folder of the run a cached step's outputs came from
    (object stores have no links: there the reports are copied)."""
    from tfx.dsl.io import fileio

    from kerasknow.components.component_io import copy_tree
    from kerasknow.config.run_config import is_uri
    from kerasknow.metadata.pipeline_runs import step_origin
    from kerasknow.metadata.run_step import pipeline_run_steps

    metadata_path = config.metadata_path()
    try:
        steps = pipeline_run_steps(metadata_path, run_id)
    except (KeyError, FileNotFoundError):
        return  # the run failed before ML Metadata recorded it
    for step in steps:
        part = REPORT_PARTS.get(step.node)
        if part is None or step.state != "cached":
            continue
        origin = step_origin(metadata_path, step.execution_id)
        made = os.path.join(config.reports_dir(origin), part) if origin else ""
        if not made or not fileio.isdir(made):
            continue
        if is_uri(config.output):
            copy_tree(made, os.path.join(config.reports_dir(run_id), part))
        else:
            _relink(os.path.join(config.reports_dir(run_id), part), os.path.join("..", origin, part))


#: The steps that write reports, and their folder in `reports/<run>/`.
REPORT_PARTS = {"KnowledgeExampleGen": "ingest", "KnowledgeValidator": "validation",
                "KnowledgeEvaluator": "evaluation", "KnowledgePusher": "serving"}


def run_result(config: RunConfig, run_id: Optional[str] = None) -> RunResult:
    """The figures and the pushed version of one run under `config.output` (the newest by default),
    from ML Metadata.

    Raises:
        BlessingError: When that run's model was not blessed (nothing was pushed).
    """
    from tfx.dsl.io import fileio

    from kerasknow.components.knowledge_validator.statistics_page import STATISTICS_HTML
    from kerasknow.metadata.run_step import pipeline_run_steps, step_output

    metadata_path = config.metadata_path()
    steps = pipeline_run_steps(metadata_path, run_id)
    run_id = run_id or _newest_run(metadata_path)
    cached = [s.node for s in steps if s.state == "cached"]
    evaluation = step_output(metadata_path, "KnowledgeEvaluator", "evaluation", run_id)
    metrics_path = os.path.join(evaluation.uri, "metrics.json")
    with fileio.open(metrics_path, "r") as f:
        metrics = json.loads(f.read())
    if not metrics.get("blessed"):
        served = newest_version(config.serving_model_dir())
        raise BlessingError(
            "The model was trained but NOT blessed, so nothing was pushed: "
            + "; ".join(metrics.get("not_blessed_because", []))
            + (f". The served version stays {served}" if served else "") + f". Metrics: {metrics_path}")
    pushed = step_output(metadata_path, "KnowledgePusher", "pushed_model", run_id)
    destination = None
    if pushed is not None and pushed.custom_properties["pushed"].int_value:
        destination = pushed.custom_properties["pushed_destination"].string_value
    page = os.path.join(config.reports_dir(run_id), "validation", STATISTICS_HTML)
    return RunResult(output=config.output, run_id=run_id, pushed_model=destination, metrics=metrics,
                     reports=config.reports_dir(run_id), tensorboard_logdir=config.tensorboard_dir(),
                     cached_steps=cached, statistics_page=page if fileio.exists(page) else "")


def _newest_run(metadata_path: str) -> str:
    from kerasknow.metadata.pipeline_runs import pipeline_runs

    return pipeline_runs(metadata_path)[-1].run_id
