"""KnowledgeValidator's executor."""
import dataclasses
import json
import logging
import os
from typing import Any, Dict, List

from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact, artifact_utils

from kerasknow.components.component_io import copy_tree, read_split, write_text
from kerasknow.config import RunConfig
from kerasknow.errors import KnowledgeValidationError
from kerasknow.tasks.task_family import Finding

logger = logging.getLogger(__name__)

SCHEMA_FILE = "schema.pbtxt"


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
    for severity in ("error", "warning", "info"):
        chosen = [f for f in findings if f.severity == severity]
        if chosen:
            lines.append(f"{severity.upper()}S ({len(chosen)})")
            lines += [f"  - [{f.check}] {f.message}" for f in chosen]
            lines.append("")
    return "\n".join(lines)


def write_summaries(logdir: str, findings: List[Finding], text: str, stats: Dict[str, Any]) -> None:
    """TensorBoard: the report as text, finding counts and per-label counts as scalars."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=0):
        tf.summary.text("knowledge_report", "```\n" + text + "\n```")
        for severity in ("error", "warning", "info"):
            tf.summary.scalar(f"findings/{severity}", sum(f.severity == severity for f in findings))
        for name, value in stats.items():
            if isinstance(value, (int, float)):
                tf.summary.scalar(f"data/{name}", value)
        for f in findings:
            if f.check == "examples_per_label":
                for label, n in f.details.get("train", {}).items():
                    tf.summary.scalar(f"examples_per_label/{label}", n)
            if f.check == "truncated_at_max_seq_length":
                tf.summary.scalar("data/truncated_fraction", f.details["fraction"])
    writer.close()


class Executor(base_executor.BaseExecutor):
    """Runs TFDV validation and the family's checks; raises on error findings."""

    def Do(self, input_dict: Dict[str, List[artifact.Artifact]],
           output_dict: Dict[str, List[artifact.Artifact]], exec_properties: Dict[str, Any]) -> None:
        import tensorflow_data_validation as tfdv
        from tfx.components.statistics_gen import stats_artifact_utils
        from tfx.utils import io_utils, writer_utils

        from kerasknow.tasks.registry import get_task_family

        cfg = RunConfig.from_json(exec_properties["config"])
        family = get_task_family(cfg.task)
        examples = artifact_utils.get_single_instance(input_dict["examples"])
        stats_artifact = artifact_utils.get_single_instance(input_dict["statistics"])
        schema_uri = io_utils.get_only_uri_in_dir(artifact_utils.get_single_uri(input_dict["schema"]))
        schema = io_utils.SchemaReader().read(schema_uri)
        anomalies_artifact = artifact_utils.get_single_instance(output_dict["anomalies"])
        report_artifact = artifact_utils.get_single_instance(output_dict["report"])

        splits = artifact_utils.decode_split_names(examples.split_names)
        anomalies_artifact.split_names = artifact_utils.encode_split_names(splits)
        findings: List[Finding] = []
        for split in splits:
            stats = stats_artifact_utils.load_statistics(stats_artifact, split).proto()
            anomalies = tfdv.validate_statistics(statistics=stats, schema=schema)
            out = artifact_utils.get_split_uri([anomalies_artifact], split)
            writer_utils.write_anomalies(os.path.join(out, "SchemaDiff.pb"), anomalies)
            findings += tfdv_findings(split, anomalies)

        decoded = {split: read_split(examples, split) for split in splits}
        findings += family.knowledge_checks(decoded, cfg)
        data_stats = {f"examples_{s}": len(v) for s, v in decoded.items()}

        text = render_report(findings, data_stats)
        report = {"task": cfg.task, "data": cfg.data, "stats": data_stats,
                  "errors": sum(f.severity == "error" for f in findings),
                  "warnings": sum(f.severity == "warning" for f in findings),
                  "findings": [dataclasses.asdict(f) for f in findings]}
        write_text(os.path.join(report_artifact.uri, "report.json"), json.dumps(report, indent=2, default=str))
        write_text(os.path.join(report_artifact.uri, "report.txt"), text)
        stable = os.path.join(cfg.reports_dir(), "validation")
        copy_tree(report_artifact.uri, stable)
        write_summaries(os.path.join(cfg.tensorboard_dir(), "validation"), findings, text, data_stats)

        # Keep the schema of the first run so later knowledge is validated against it.
        kept = os.path.join(cfg.output, "schema", SCHEMA_FILE)
        if not fileio.exists(kept):
            fileio.makedirs(os.path.dirname(kept))
            fileio.copy(schema_uri, kept)

        report_path = os.path.join(stable, "report.txt")
        print(f"[kerasknow] validation: {report['errors']} errors, {report['warnings']} warnings; "
              f"report: {report_path}", flush=True)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise KnowledgeValidationError(
                f"Knowledge validation found {len(errors)} error(s), first: [{errors[0].check}] "
                f"{errors[0].message} Report: {report_path}", report_path)
        report_artifact.set_int_custom_property("warnings", report["warnings"])
