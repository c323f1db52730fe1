"""KnowledgeValidator's executor."""
import dataclasses
import json
import logging
import os
from typing import Any, Dict, List

from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from kerasknow.components.component_io import copy_tree, read_split, write_text
from kerasknow.components.component_keys import ANOMALIES_KEY, EXAMPLES_KEY, REPORT_KEY, SCHEMA_KEY, STATISTICS_KEY
from kerasknow.components.knowledge_executor import KnowledgeExecutor, StepContext
from kerasknow.components.knowledge_validator.statistics_page import STATISTICS_HTML, statistics_page
from kerasknow.errors import KnowledgeValidationError
from kerasknow.progress import open_bar
from kerasknow.validation.finding import SEVERITIES, Finding

SCHEMA_FILE = "schema.pbtxt"
logger = logging.getLogger(__name__)


def tfdv_findings(split: str, anomalies) -> List[Finding]:
    """TFDV anomalies as findings (TFDV's ERROR severity stops the run, WARNING does not)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    findings = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        severity = "error" if info.severity == anomalies_pb2.AnomalyInfo.ERROR else "warning"
        findings.append(Finding(f"tfdv/{split}/{feature}", severity,
                                f"TFDV ({split}): feature {feature!r}: {info.short_description}. {info.description}",
                                {"split": split, "feature": feature}))
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        findings.append(Finding(f"tfdv/{split}/dataset", "error",
                                f"TFDV ({split}): {info.short_description}. {info.description}", {"split": split}))
    return findings


def render_report(findings: List[Finding], stats: Dict[str, Any]) -> str:
    lines = ["kerasknow knowledge report", ""]
    lines += [f"{k}: {v}" for k, v in stats.items()] + [""]
    for severity in SEVERITIES:
        chosen = [f for f in findings if f.severity == severity]
        if chosen:
            lines.append(f"{severity.upper()}S ({len(chosen)})")
            lines += [f"  - [{f.check}] {f.message}" for f in chosen]
            lines.append("")
    return "\n".join(lines)


def summary_scalars(findings: List[Finding], stats: Dict[str, Any]) -> Dict[str, float]:
    """Every scalar of the report: finding counts, data counts and each finding's own `scalars`."""
    scalars: Dict[str, float] = {f"findings/{s}": sum(f.severity == s for f in findings) for s in SEVERITIES}
    scalars.update({f"data/{name}": value for name, value in stats.items() if isinstance(value, (int, float))})
    for f in findings:
        scalars.update(f.scalars)
    return scalars


def write_summaries(logdir: str, text: str, scalars: Dict[str, float]) -> None:
    """TensorBoard: the report as text and `scalars` as they are."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=0):
        tf.summary.text("knowledge_report", "```\n" + text + "\n```")
        for tag, value in scalars.items():
            tf.summary.scalar(tag, value)
    writer.close()


class Executor(KnowledgeExecutor):
    """Runs TFDV validation and the family's checks; raises on error findings."""

    def run(self, step: StepContext) -> None:
        import tensorflow_data_validation as tfdv
        from tfx.components.statistics_gen import stats_artifact_utils
        from tfx.utils import io_utils, writer_utils

        cfg, family = step.config, step.family
        examples, stats_artifact = step.inputs[EXAMPLES_KEY], step.inputs[STATISTICS_KEY]
        schema_uri = io_utils.get_only_uri_in_dir(step.inputs[SCHEMA_KEY].uri)
        schema = io_utils.SchemaReader().read(schema_uri)
        anomalies_artifact, report_artifact = step.outputs[ANOMALIES_KEY], step.outputs[REPORT_KEY]

        splits = artifact_utils.decode_split_names(examples.split_names)
        anomalies_artifact.split_names = artifact_utils.encode_split_names(splits)
        findings: List[Finding] = []
        statistics = {}
        # Stages: TFDV and decoding per split, the family's checks, the report.
        progress = open_bar("checks", total=2 * len(splits) + 2, unit="stages")
        for split in splits:
            stats = statistics[split] = stats_artifact_utils.load_statistics(stats_artifact, split).proto()
            anomalies = tfdv.validate_statistics(statistics=stats, schema=schema)
            out = artifact_utils.get_split_uri([anomalies_artifact], split)
            writer_utils.write_anomalies(os.path.join(out, "SchemaDiff.pb"), anomalies)
            findings += tfdv_findings(split, anomalies)
            progress.update(1)

        decoded = {}
        for split in splits:
            decoded[split] = read_split(examples, split)
            progress.update(1)
        findings += family.knowledge_checks(decoded, cfg)
        progress.update(1)
        data_stats = {f"examples_{s}": len(v) for s, v in decoded.items()}

        text = render_report(findings, data_stats)
        data = examples.get_string_custom_property("data") if examples.has_custom_property("data") else ""
        report = {"task": cfg.task, "data": data, "stats": data_stats,
                  "errors": sum(f.severity == "error" for f in findings),
                  "warnings": sum(f.severity == "warning" for f in findings),
                  "findings": [dataclasses.asdict(f) for f in findings]}
        write_text(os.path.join(report_artifact.uri, "report.json"), json.dumps(report, indent=2, default=str))
        write_text(os.path.join(report_artifact.uri, "report.txt"), text)
        write_text(os.path.join(report_artifact.uri, STATISTICS_HTML), statistics_page(statistics, data))
        stable = step.reports_dir("validation")
        copy_tree(report_artifact.uri, stable)
        write_summaries(step.tensorboard_dir("validation"), text, summary_scalars(findings, data_stats))
        progress.update(1)
        progress.close()

        # Keep the schema of the first run so later knowledge is validated against it.
        kept = os.path.join(cfg.output, "schema", SCHEMA_FILE)
        if not fileio.exists(kept):
            fileio.makedirs(os.path.dirname(kept))
            fileio.copy(schema_uri, kept)

        report_path = os.path.join(stable, "report.txt")
        logger.info("Validation: %d errors, %d warnings; report: %s", report["errors"], report["warnings"], report_path)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise KnowledgeValidationError(
                f"Knowledge validation found {len(errors)} error(s), first: [{errors[0].check}] "
                f"{errors[0].message} Report: {report_path}", report_path)
        report_artifact.set_int_custom_property("warnings", report["warnings"])
