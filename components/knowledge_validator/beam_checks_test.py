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


def test_an_updates_comparison_with_the_old_knowledge_is_the_same_in_beam_and_in_memory(tmp_path, tiny_bert_dir):
    import apache_beam as beam

    from kerasknow.components.component_io import read_uri_split
    from kerasknow.components.knowledge_validator.beam_checks import run_beam_checks
    from kerasknow.family.registry import get_task_family
    from kerasknow.text.text_checks_transform import TextClassificationChecks
    from kerasknow.update.knowledge_comparison import KnowledgeComparison

    def knowledge(name, rows):
        data = tmp_path / f"{name}.csv"
        data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
        cfg = RunConfig(data=str(data), output=str(tmp_path / name / "out"),
                        model={"checkpoint": tiny_bert_dir, "max_seq_length": 16})
        return cfg, run_example_gen(cfg, str(tmp_path / name))[0]

    old_labels = ["a", "b", "d"]
    _, old = knowledge("old", [f"old fact {i},{old_labels[i % 3]}" for i in range(45)])
    # 12 corrections of old facts (another label), 5 old facts again as they were, 8 examples of a
    # new label, 3 new facts of an old one; the old label d is not in the update.
    flipped = {"a": "b", "b": "a", "d": "a"}
    rows = [f"old fact {i},{flipped[old_labels[i % 3]]}" for i in range(12)]
    rows += [f"old fact {i},{old_labels[i % 3]}" for i in (12, 13, 15, 16, 18)]  # labels a and b
    rows += [f"new fact {i},c" for i in range(8)] + [f"another fact {i},a" for i in range(3)]
    cfg, new = knowledge("new", rows)
    family = get_task_family(cfg.task)

    _, counts, labels, in_beam = run_beam_checks(
        beam.Pipeline(argv=MULTI_PROCESS), new.uri, ["train", "eval"], cfg.task, TextClassificationChecks(cfg),
        str(tmp_path / "work"), old_uri=old.uri, old_labels=old_labels)
    decoded = [ex for split in ("train", "eval") for ex, _ in read_uri_split(new.uri, split)]
    old_decoded = [ex for split in ("train", "eval") for ex, _ in read_uri_split(old.uri, split)]
    in_memory = KnowledgeComparison.of_examples(family, decoded, old_decoded, old_labels)

    assert sum(counts.values()) == 28 and labels == ["a", "b", "c"]
    assert in_beam == in_memory
    assert in_beam.labels_seen == ["a", "b", "c"] and in_beam.new_label_sets == {("c",): 8}
    assert in_beam.changed_count == 12 and len(in_beam.changed) == 10
    assert in_beam.changed[0] == {"key": "old fact 0", "old": ["a"], "new": ["b"]}
    findings = {f.check: f for f in in_beam.findings(old_labels, ["c"], "error")}
    assert findings["new_labels"].details == {"labels": ["c"], "examples": 8}
    assert findings["labels_not_in_update"].details == {"labels": ["d"]}
    assert findings["changed_labels"].severity == "error" and findings["changed_labels"].details["count"] == 12
    assert "update.corrections" in findings["changed_labels"].message
    assert in_beam.findings(old_labels, ["c"], "new")[-1].severity == "info"
