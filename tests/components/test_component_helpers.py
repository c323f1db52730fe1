import os

import pytest

from kerasknow.components.knowledge_evaluator.executor import blessing_decision, render_metrics
from kerasknow.components.knowledge_example_gen.component import fingerprint_inputs
from kerasknow.components.knowledge_validator.executor import render_report, tfdv_findings
from kerasknow.config import RunConfig
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


def test_blessing_thresholds():
    cfg = RunConfig(blessing={"min_accuracy": 0.8, "min_f1": 0.5})
    assert blessing_decision({"accuracy": 0.9, "f1": 0.6}, cfg) == (True, [])
    ok, reasons = blessing_decision({"accuracy": 0.7, "f1": 0.4}, cfg)
    assert not ok and reasons == ["accuracy 0.7000 < 0.8 (--min-accuracy / blessing.min_accuracy)",
                                  "f1 0.4000 < 0.5 (--min-f1 / blessing.min_f1)"]
    text = render_metrics({"accuracy": 0.7, "f1": 0.4, "per_class": {"a": {"precision": 1.0, "recall": 0.5,
                                                                        "f1": 0.667, "support": 2}}},
                          ok, reasons)
    assert "blessed: False (accuracy 0.7000 < 0.8" in text and "a " in text


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
