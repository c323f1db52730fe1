"""KnowledgeValidator's executor."""
import dataclasses
import json
import logging
import os
from typing import Any, Dict, List

from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from kerasknow.components.component_io import copy_tree, write_text
from kerasknow.components.component_keys import (ANOMALIES_KEY, EXAMPLES_KEY, KEPT_SCHEMA_KEY, PREVIOUS_MODEL_KEY,
                                                 REPORT_KEY, SCHEMA_KEY, STATISTICS_KEY)
from kerasknow.components.knowledge_beam_executor import KnowledgeBeamExecutor
from kerasknow.update.knowledge_comparison import KnowledgeComparison
from kerasknow.components.knowledge_executor import StepContext
from kerasknow.components.knowledge_validator.beam_checks import OLD_SPLITS, run_beam_checks
from kerasknow.components.knowledge_validator.statistics_page import STATISTICS_HTML, statistics_page
from kerasknow.errors import KnowledgeValidationError
from kerasknow.progress import open_bar
from kerasknow.validation.finding import SEVERITIES, Finding

SCHEMA_FILE = "schema.pbtxt"
#: The Beam checks' results in the report artifact while the step runs (removed after).
BEAM_WORK_DIR = ".beam"
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


def drift_findings(split: str, anomalies, fail: bool) -> List[Finding]:
    """TFDV's drift comparator anomalies as findings (a warning, an error with `fail_on_drift`)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    drift_kinds = {anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH,
                   anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH}
    findings = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        reasons = [r for r in info.reason if r.type in drift_kinds]
        if not reasons:
            continue
        findings.append(Finding(
            f"drift/{split}/{feature}", "error" if fail else "warning",
            f"Drift against the previous knowledge base ({split}): feature {feature!r}: "
            + " ".join(r.description.rstrip(".") + "." for r in reasons)
            + " Set validation.label_drift / validation.length_drift (YAML) to tolerate more, or "
            "validation.fail_on_drift: true to stop on it.",
            {"split": split, "feature": feature, "reasons": [r.description for r in reasons]},
            {f"drift/{split}/{feature}": 1.0}))
    return findings


def without_drift(anomalies):
    """A copy of `anomalies` without the drift comparator reasons (reported as drift findings)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    drift_kinds = {anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH,
                   anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH}
    out = anomalies_pb2.Anomalies()
    out.CopyFrom(anomalies)
    for feature in list(out.anomaly_info):
        info = out.anomaly_info[feature]
        kept = [r for r in info.reason if r.type not in drift_kinds]
        if not kept:
            del out.anomaly_info[feature]
        elif len(kept) != len(info.reason):
            del info.reason[:]
            info.reason.extend(kept)
    return out


class Executor(KnowledgeBeamExecutor):
    """Runs TFDV validation and the family's checks (a Beam pipeline); raises on error findings."""

    def run(self, step: StepContext) -> None:
        import tensorflow_data_validation as tfdv
        from tfx.components.statistics_gen import stats_artifact_utils
        from tfx.utils import io_utils, writer_utils

        from kerasknow.components.component_io import read_split, read_uri_split
        from kerasknow.data.label_vocabulary import read_labels
        from kerasknow.update.previous_knowledge import PreviousKnowledge
        from kerasknow.validation.schema_evolution import (admit_labels, drop_free_text_domains,
                                                           set_drift_comparators)

        cfg, family = step.config, step.family
        spec = family.spec
        examples, stats_artifact = step.inputs[EXAMPLES_KEY], step.inputs[STATISTICS_KEY]
        previous_model = step.inputs.get(PREVIOUS_MODEL_KEY)
        previous = PreviousKnowledge.of_model(previous_model.uri) if previous_model is not None else None
        # The schema validated against: a curated one wins; an update's is the one the previous
        # knowledge base kept; a first run's the inferred one.
        if previous is not None and not cfg.validation.schema_path:
            schema = previous.read_schema()
        else:
            schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(step.inputs[SCHEMA_KEY].uri))
        drop_free_text_domains(schema, spec.free_text_features)
        anomalies_artifact, report_artifact = step.outputs[ANOMALIES_KEY], step.outputs[REPORT_KEY]

        splits = artifact_utils.decode_split_names(examples.split_names)
        # The family's checks over the whole data set, and an update's comparison with the old
        # knowledge base, as one Beam pipeline where the family has Beam checks (no example held
        # in memory); families without them decode every example here.
        old_labels = read_labels(previous.knowledge) if previous is not None else []
        checks = family.knowledge_checks_transform(cfg)
        if checks is None:
            decoded = {split: read_split(examples, split) for split in splits}
            new_all = [ex for exs in decoded.values() for ex in exs]
            counts = {split: len(exs) for split, exs in decoded.items()}
            new_labels = {label for ex in new_all for label in family.example_labels(ex)}
            comparison = None
            if previous is not None:
                old_examples = [ex for split in OLD_SPLITS for ex, _ in read_uri_split(previous.knowledge, split)]
                comparison = KnowledgeComparison.of_examples(family, new_all, old_examples, old_labels)
        else:
            beam_findings, counts, labels, comparison = run_beam_checks(
                self._make_beam_pipeline(), examples.uri, splits, cfg.task, checks,
                os.path.join(report_artifact.uri, BEAM_WORK_DIR),
                old_uri=previous.knowledge if previous is not None else "", old_labels=old_labels)
            new_labels = set(labels)
        added = admit_labels(schema, spec.label_feature, new_labels)
        if previous is not None:
            set_drift_comparators(schema, spec.label_feature, spec.length_features, cfg.validation.label_drift,
                                  cfg.validation.length_drift)

        anomalies_artifact.split_names = artifact_utils.encode_split_names(splits)
        findings: List[Finding] = []
        statistics = {}
        # Stages: TFDV per split, the family's and the update's checks, the report.
        progress = open_bar("checks", total=len(splits) + 2, unit="stages")
        for split in splits:
            stats = statistics[split] = stats_artifact_utils.load_statistics(stats_artifact, split).proto()
            before = previous.statistics_of(split) if previous is not None else None
            anomalies = tfdv.validate_statistics(statistics=stats, schema=schema, previous_statistics=before)
            out = artifact_utils.get_split_uri([anomalies_artifact], split)
            writer_utils.write_anomalies(os.path.join(out, "SchemaDiff.pb"), anomalies)
            findings += drift_findings(split, anomalies, cfg.validation.fail_on_drift)
            findings += tfdv_findings(split, without_drift(anomalies))
            progress.update(1)

        findings += family.knowledge_checks(decoded, cfg) if checks is None else beam_findings
        if comparison is not None:
            findings += comparison.findings(old_labels, [label for label in added if label not in old_labels],
                                            cfg.update.corrections)
        progress.update(1)
        data_stats = {f"examples_{s}": n for s, n in counts.items()}

        text = render_report(findings, data_stats)
        data = examples.get_string_custom_property("data") if examples.has_custom_property("data") else ""
        report = {"task": cfg.task, "data": data, "stats": data_stats, "update": previous is not None,
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

        # The schema this knowledge is kept with: free text without domains, new labels admitted,
        # no drift thresholds (those are this run's settings). The next update validates against it.
        for feature in schema.feature:
            feature.ClearField("drift_comparator")
        kept = step.outputs[KEPT_SCHEMA_KEY]
        fileio.makedirs(kept.uri)
        io_utils.write_pbtxt_file(os.path.join(kept.uri, SCHEMA_FILE), schema)
        # A copy beside the report for people to read and curate (pass it back with --schema);
        # the pipeline itself resolves the kept schema from ML Metadata, never from this copy.
        io_utils.write_pbtxt_file(os.path.join(stable, SCHEMA_FILE), schema)

        report_path = os.path.join(stable, "report.txt")
        logger.info("Validation: %d errors, %d warnings; report: %s", report["errors"], report["warnings"], report_path)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise KnowledgeValidationError(
                f"Knowledge validation found {len(errors)} error(s), first: [{errors[0].check}] "
                f"{errors[0].message} Report: {report_path}", report_path)
        report_artifact.set_int_custom_property("warnings", report["warnings"])
