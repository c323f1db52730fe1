"""The validator's Beam checks give the same report as the in-memory checks on the same knowledge."""
import json
import os

from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import standard_artifacts

from kerasknow.components.component_keys import (ANOMALIES_KEY, CONFIG_KEY, EXAMPLES_KEY, KEPT_SCHEMA_KEY, REPORT_KEY,
                                                 SCHEMA_KEY, STATISTICS_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgeReport
from kerasknow.components.knowledge_validator.component import KnowledgeValidator
from kerasknow.components.knowledge_validator.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.tasks.text_classification import TextClassification
from kerasknow.testing import artifact, run_example_gen, run_statistics_and_schema

MULTI_PROCESS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def _report(cfg, examples, statistics, schema, root, beam_args=()):
    anomalies = artifact(standard_artifacts.ExampleAnomalies, os.path.join(root, "anomalies"))
    report = artifact(KnowledgeReport, os.path.join(root, "report"))
    kept = artifact(standard_artifacts.Schema, os.path.join(root, "kept_schema"))
    Executor(BaseBeamExecutor.Context(beam_pipeline_args=list(beam_args))).Do(
        {EXAMPLES_KEY: [examples], STATISTICS_KEY: [statistics], SCHEMA_KEY: [schema]},
        {ANOMALIES_KEY: [anomalies], REPORT_KEY: [report], KEPT_SCHEMA_KEY: [kept]},
        {CONFIG_KEY: cfg.to_json(KnowledgeValidator.CONFIG_SECTIONS)})
    with open(os.path.join(report.uri, "report.txt")) as f:
        text = f.read()
    assert not os.path.exists(os.path.join(report.uri, ".beam"))
    return json.load(open(os.path.join(report.uri, "report.json"))), text


def test_beam_and_in_memory_checks_write_the_same_report(tmp_path, tiny_bert_dir, monkeypatch):
    rows = [f"fact number {i} about things,{'abc'[i % 3]}" for i in range(60)]
    rows += [f"a repeated fact {i},a" for i in range(7)] * 2 + [f"a clashing fact {i},{lab}" for i in range(11)
                                                                for lab in "ab"]
    rows += [" ".join(["long"] * 40) + ",c"]
    data = tmp_path / "k.csv"
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    cfg = RunConfig(data=str(data), output=str(tmp_path / "out"),
                    validation={"fail_on_conflicting_labels": False, "min_examples_per_label": 1},
                    model={"checkpoint": tiny_bert_dir, "max_seq_length": 16})
    examples, _ = run_example_gen(cfg, str(tmp_path / "gen"))
    statistics, schema = run_statistics_and_schema(examples, str(tmp_path / "stats"))

    beam_report, beam_text = _report(cfg, examples, statistics, schema, str(tmp_path / "beam"), MULTI_PROCESS)
    monkeypatch.setattr(TextClassification, "knowledge_checks_transform", lambda self, config: None)
    memory_report, memory_text = _report(cfg, examples, statistics, schema, str(tmp_path / "memory"))

    checks = {f["check"]: f for f in beam_report["findings"]}
    assert checks["exact_duplicates"]["details"]["count"] == 7
    assert len(checks["exact_duplicates"]["details"]["examples"]) == 5
    assert checks["conflicting_labels"]["details"]["count"] == 11
    assert checks["truncated_at_max_seq_length"]["details"]["truncated"] == 1
    assert beam_report == memory_report
    assert beam_text == memory_text
