import os

import pytest

from kerasknow.components.knowledge_evaluator.executor import render_metrics
from kerasknow.components.knowledge_example_gen.component import fingerprint_inputs
from kerasknow.components.knowledge_validator.executor import render_report, tfdv_findings
from kerasknow.errors import DataError
from kerasknow.validation.finding import Finding


def test_fingerprint_changes_with_the_data(tmp_path):
    (tmp_path / "a").mkdir()
    f = tmp_path / "a" / "1.txt"
    f.write_text("one")
    first = fingerprint_inputs(str(tmp_path))
    assert first == fingerprint_inputs(str(tmp_path))
    f.write_text("one more")
    assert fingerprint_inputs(str(tmp_path)) != first
    assert fingerprint_inputs("gs://bucket/data") == "uri-gs://bucket/data"
    with pytest.raises(DataError, match="Knowledge data not found"):
        fingerprint_inputs(str(tmp_path / "missing"))


def test_metrics_text_shows_the_baseline_and_the_reasons():
    gate = {"baseline": {"name": "majority class ('a')", "accuracy": 0.5, "f1": 0.33, "f1_name": "chance"},
            "thresholds": {"accuracy": 0.55, "f1": 0.397}}
    text = render_metrics({"accuracy": 0.52, "f1": 0.4, "gate": gate,
                           "per_class": {"a": {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}}},
                          False, ["accuracy 0.5200 < 0.5500, the majority class ('a') baseline ..."])
    assert "baseline: majority class ('a') accuracy 0.5000; chance f1 0.3300" in text
    assert "thresholds: accuracy 0.5500, f1 0.3970" in text
    assert "blessed: False (accuracy 0.5200 < 0.5500" in text and "a " in text


def test_tfdv_anomalies_become_findings():
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    anomalies = anomalies_pb2.Anomalies()
    info = anomalies.anomaly_info["label"]
    info.severity = anomalies_pb2.AnomalyInfo.ERROR
    info.short_description = "Unexpected string values"
    info.description = "Examples contain values missing from the schema: sci-fi."
    findings = tfdv_findings("eval", anomalies)
    assert findings[0].check == "tfdv/eval/label" and findings[0].severity == "error"
    assert "sci-fi" in findings[0].message
    report = render_report(findings + [Finding("x", "info", "fine")], {"examples_train": 3})
    assert "ERRORS (1)" in report and "INFOS (1)" in report and "examples_train: 3" in report
