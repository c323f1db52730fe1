"""`kerasknow validate`: ingest and validate knowledge locally, without training anything."""
import dataclasses
import os
from typing import List, Optional

from kerasknow.config import RunConfig

#: The validation runs' own folder under the output (their ML Metadata and TFX artifacts).
VALIDATE_DIR = "validate"


@dataclasses.dataclass
class ValidationResult:
    """What `validate_local` found.

    Args:
        run_id: The run id; its reports are `reports/<run>/ingest` and `reports/<run>/validation`.
        report_path: The knowledge report (`report.txt`), or "" when the run stopped before it.
        report_text: Its text ("" without one).
        errors: Error findings (a run that stopped at ingest counts its failure as one).
        warnings: Warning findings.
        failure: The step's error message when the run stopped ("" when it ran to the end).
    """

    run_id: str
    report_path: str
    report_text: str
    errors: int
    warnings: int
    failure: str = ""


def validate_local(config: RunConfig, beam_pipeline_args: Optional[List[str]] = None,
                   console=None) -> ValidationResult:
    """Runs ingest, statistics, schema and knowledge validation with `LocalDagRunner`.

    The validation pipeline (`kerasknow.pipelines.create_validation_pipeline`) keeps its ML
    Metadata and artifacts in `<output>/validate/`, apart from `kerasknow run`'s (the SQLite file in
    `config.local_dir()`'s `validate/` when the output is a URI), and writes its
    reports where a run does: `<output>/reports/<run>/ingest` (the rejects) and
    `<output>/reports/<run>/validation` (the knowledge report, TFDV's statistics page, the schema).

    Args:
        config: The run config (`task`, `data`, `output`, `ingest`, `validation`, `model`).
        beam_pipeline_args: For the Beam steps (ingest, StatisticsGen, the knowledge checks).
        console: A `kerasknow.progress.Console` for a line per step; None prints nothing.

    Returns:
        A `ValidationResult`; a failed ingest or validation step is a result with `failure`, not
        an exception, so the caller can print what was found.

    Example:

    ```python
    result = validate_local(RunConfig(task="text-classification", data="bbc/", output="out"))
    print(result.report_text)
    ```
    """
    from tfx import v1 as tfx
    from tfx.dsl.io import fileio

    from kerasknow.errors import DataError, KnowledgeValidationError
    from kerasknow.local_run import imported_schema, link_latest_reports, pipeline_ir
    from kerasknow.metadata.pipeline_runs import new_run_id
    from kerasknow.pipelines import create_validation_pipeline
    from kerasknow.run_progress import StepWatcher

    root = os.path.join(config.output, VALIDATE_DIR)
    fileio.makedirs(root)
    # SQLite needs a local file: beside the artifacts for a local output, else in the output's
    # local state folder (as `kerasknow run`'s metadata), so `--output gs://...` works too.
    metadata_dir = os.path.join(config.local_dir(), VALIDATE_DIR)
    os.makedirs(metadata_dir, exist_ok=True)
    metadata_path = os.path.join(metadata_dir, "metadata.sqlite")
    pipeline = create_validation_pipeline(config, pipeline_root=os.path.join(root, "tfx"), metadata_path=metadata_path,
                                          beam_pipeline_args=beam_pipeline_args,
                                          schema_path=imported_schema(config))
    reports = config.reports_dir()
    run_id = new_run_id(fileio.listdir(reports) if fileio.isdir(reports) else [])
    link_latest_reports(config, run_id)
    failure = ""
    try:
        ir = pipeline_ir(pipeline, run_id)
        if console is None:
            tfx.orchestration.LocalDagRunner().run_with_ir(ir)
        else:
            console.line(f"[kerasknow] validate {run_id}: {config.task} on {config.data}")
            with StepWatcher(metadata_path, run_id, console, config.output):
                tfx.orchestration.LocalDagRunner().run_with_ir(ir)
    except (RuntimeError, DataError, KnowledgeValidationError) as e:
        # LocalDagRunner wraps a step's failure; what was found is in the reports either way.
        cause = e
        while cause.__cause__ is not None and cause.__cause__ is not cause:
            cause = cause.__cause__
        if not isinstance(cause, (DataError, KnowledgeValidationError)):
            raise
        failure = " ".join(str(cause).split())
    report_path = os.path.join(config.reports_dir(run_id), "validation", "report.txt")
    if not fileio.exists(report_path):
        return ValidationResult(run_id, "", "", 1, 0, failure)
    import json

    with fileio.open(report_path, "r") as f:
        text = f.read()
    with fileio.open(os.path.join(os.path.dirname(report_path), "report.json"), "r") as f:
        report = json.loads(f.read())
    return ValidationResult(run_id, report_path, text, report["errors"], report["warnings"], failure)
