"""KnowledgeValidator's executor on real TFX artifacts: real TFDV statistics and an inferred schema."""
import json
import os

import pytest

from kerasknow.components.component_keys import (ANOMALIES_KEY, CONFIG_KEY, EXAMPLES_KEY, KEPT_SCHEMA_KEY, REPORT_KEY,
                                                 SCHEMA_KEY, STATISTICS_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeReport
from kerasknow.components.knowledge_validator.component import KnowledgeValidator
from kerasknow.components.knowledge_validator.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.errors import KnowledgeValidationError
from kerasknow.testing import artifact, run_example_gen, run_statistics_and_schema


RUN = "20260314-102233"


def _validate(cfg, root):
    from tfx.dsl.components.base.base_executor import BaseExecutor
    from tfx.types import standard_artifacts

    examples, _ = run_example_gen(cfg, os.path.join(root, "gen"))
    statistics, schema = run_statistics_and_schema(examples, os.path.join(root, "stats"))
    anomalies = artifact(standard_artifacts.ExampleAnomalies, os.path.join(root, "anomalies"))
    report = artifact(KnowledgeReport, os.path.join(root, "report"))
    kept = artifact(standard_artifacts.Schema, os.path.join(root, "kept_schema"))
    Executor(BaseExecutor.Context(pipeline_run_id=RUN)).Do(
        {EXAMPLES_KEY: [examples], STATISTICS_KEY: [statistics], SCHEMA_KEY: [schema]},
        {ANOMALIES_KEY: [anomalies], REPORT_KEY: [report], KEPT_SCHEMA_KEY: [kept]},
        {CONFIG_KEY: cfg.to_json(KnowledgeValidator.CONFIG_SECTIONS)})
    return anomalies, report, kept


def _scalars(logdir):
    import tensorflow as tf

    values = {}
    for path in tf.io.gfile.glob(os.path.join(logdir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for v in event.summary.value:
                if v.metadata.plugin_data.plugin_name == "scalars":
                    values[v.tag] = float(tf.make_ndarray(v.tensor))
    return values


def test_report_anomalies_schema_and_tensorboard_scalars_from_the_findings(tmp_path, tiny_bert_dir):
    data = tmp_path / "k.csv"
    data.write_text("text,label\n" + "".join(f"fact number {i} about things,{'ab'[i % 2]}\n" for i in range(30)))
    cfg = RunConfig(data=str(data), output=str(tmp_path / "out"), model={"checkpoint": tiny_bert_dir,
                                                                         "max_seq_length": 4})
    anomalies, report, kept = _validate(cfg, str(tmp_path))
    found = json.load(open(os.path.join(report.uri, "report.json")))
    assert found["errors"] == 0 and found["data"] == str(data)
    checks = {f["check"]: f for f in found["findings"]}
    assert checks["truncated_at_max_seq_length"]["severity"] == "warning"  # every text is over 4 pieces
    assert report.get_int_custom_property("warnings") == found["warnings"]
    assert sorted(os.listdir(anomalies.uri)) == ["Split-eval", "Split-train"]
    # The kept schema: free text without a string domain (with 30 texts TFDV's inferred schema lists
    # every text as an allowed value), the labels with theirs.
    from tfx.utils import io_utils

    from kerasknow.validation.schema_evolution import label_domain

    kept_schema = io_utils.SchemaReader().read(os.path.join(kept.uri, "schema.pbtxt"))
    assert label_domain(kept_schema, "text") == set() and label_domain(kept_schema, "label") == {"a", "b"}
    # Every scalar a finding measured reaches TensorBoard, with no list of check names in between.
    scalars = _scalars(str(tmp_path / "out" / "tensorboard" / RUN / "validation"))
    assert scalars["data/truncated_fraction"] == pytest.approx(1.0)
    assert scalars["examples_per_label/a"] == checks["examples_per_label"]["details"]["train"]["a"]
    assert scalars["findings/warning"] == found["warnings"]
    # The run's reports, with TFDV's statistics of both splits as a page to open in a browser.
    reports = tmp_path / "out" / "reports" / RUN / "validation"
    assert sorted(os.listdir(reports)) == ["report.json", "report.txt", "schema.pbtxt", "statistics.html"]
    page = (reports / "statistics.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<facets-overview" in page
    assert "TFDV statistics: train vs eval" in page
    _assert_statistics_of_both_splits(page)


def test_reports_and_tensorboard_go_to_a_non_local_output(tmp_path, tiny_bert_dir):
    """An output on TensorFlow's `ram://` file system: the run's reports and TensorBoard data land there."""
    import tensorflow as tf

    data = tmp_path / "k.csv"
    data.write_text("text,label\n" + "".join(f"fact number {i} about things,{'ab'[i % 2]}\n" for i in range(30)))
    cfg = RunConfig(data=str(data), output="ram://validator-test/out",
                    model={"checkpoint": tiny_bert_dir, "max_seq_length": 4})
    _, report, _ = _validate(cfg, str(tmp_path))
    reports = f"ram://validator-test/out/reports/{RUN}/validation"
    assert sorted(tf.io.gfile.listdir(reports)) == ["report.json", "report.txt", "schema.pbtxt", "statistics.html"]
    with tf.io.gfile.GFile(f"{reports}/report.json") as f:
        assert json.loads(f.read())["warnings"] == report.get_int_custom_property("warnings")
    scalars = _scalars(f"ram://validator-test/out/tensorboard/{RUN}/validation")
    assert scalars["data/truncated_fraction"] == pytest.approx(1.0)
    assert not os.path.exists("ram:") and not os.path.exists(os.path.join(os.getcwd(), "ram:"))


def _assert_statistics_of_both_splits(page):
    import base64
    import re

    from tensorflow_metadata.proto.v0 import statistics_pb2

    proto = statistics_pb2.DatasetFeatureStatisticsList.FromString(
        base64.b64decode(re.search(r'proto-input="([^"]+)"', page).group(1)))
    assert [d.name for d in proto.datasets] == ["train", "eval"]
    assert {f.path.step[0] for f in proto.datasets[0].features} == {"text", "label", "num_words"}


def test_error_findings_stop_the_run_with_the_report_path(tmp_path, tiny_bert_dir):
    data = tmp_path / "conflict.csv"
    rows = [f"text number {i},{'ab'[i % 2]}" for i in range(30)] + ["the same words,a", "The  same words,b"]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    cfg = RunConfig(data=str(data), output=str(tmp_path / "out"), model={"checkpoint": tiny_bert_dir})
    with pytest.raises(KnowledgeValidationError, match=r"\[conflicting_labels\].*fail_on_conflicting_labels.*"
                                                       r"Report: .*validation/report.txt"):
        _validate(cfg, str(tmp_path))
    assert "conflicting_labels" in open(tmp_path / "out" / "reports" / RUN / "validation" / "report.txt").read()
