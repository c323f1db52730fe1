"""KnowledgeExampleGen's executor on real files, with real TFX artifacts (TFX's executor_test pattern)."""
import json
import os

import pytest
import tensorflow as tf

from kerasknow.components.component_keys import CONFIG_KEY, EXAMPLES_KEY, INPUT_FINGERPRINT_KEY, REJECTS_KEY
from kerasknow.components.knowledge_example_gen.component import KnowledgeExampleGen
from kerasknow.components.knowledge_example_gen.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.data.example_codec import decode_example
from kerasknow.data.label_vocabulary import read_labels
from kerasknow.errors import DataError
from kerasknow.testing import run_example_gen


def _csv(path, rows):
    path.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in rows), encoding="utf-8")
    return str(path)


def _splits_by_text(examples):
    out = {}
    for split in ("train", "eval"):
        files = tf.io.gfile.glob(os.path.join(examples.uri, f"Split-{split}", "*"))
        for record in tf.data.TFRecordDataset(files, compression_type="GZIP"):
            ex = decode_example(record.numpy())
            out[ex["text"][0].decode()] = split
    return out


def test_writes_splits_labels_properties_and_the_rejects_report(tmp_path):
    rows = [(f"text number {i}", "ab"[i % 2]) for i in range(40)] + [("", "a")]
    cfg = RunConfig(data=_csv(tmp_path / "k.csv", rows), output=str(tmp_path / "out"),
                    ingest={"max_reject_fraction": 0.1})
    examples, rejects = run_example_gen(cfg, str(tmp_path / "artifacts"))
    by_text = _splits_by_text(examples)
    assert len(by_text) == 40 and set(by_text.values()) == {"train", "eval"}
    assert examples.get_int_custom_property("num_train") + examples.get_int_custom_property("num_eval") == 40
    assert examples.get_string_custom_property("data") == cfg.data
    assert read_labels(examples.uri) == ["a", "b"]
    assert (rejects.get_int_custom_property("read"), rejects.get_int_custom_property("used"),
            rejects.get_int_custom_property("rejected")) == (41, 40, 1)
    summary = json.load(open(tmp_path / "out" / "reports" / "ingest" / "summary.json"))
    assert summary["by_reason"] == {"empty text": 1}


def test_reingesting_grown_data_keeps_every_old_record_in_its_split(tmp_path):
    old = [(f"an old fact {i}", "ab"[i % 3 % 2]) for i in range(60)]
    new = [(f"a new fact {i}", "c") for i in range(30)]
    first, _ = run_example_gen(RunConfig(data=_csv(tmp_path / "v1.csv", old), output=str(tmp_path / "out")),
                               str(tmp_path / "run1"))
    grown, _ = run_example_gen(RunConfig(data=_csv(tmp_path / "v2.csv", new[:15] + old + new[15:]),
                                         output=str(tmp_path / "out")), str(tmp_path / "run2"))
    before, after = _splits_by_text(first), _splits_by_text(grown)
    assert set(before) < set(after)
    assert {text: after[text] for text in before} == before
    assert read_labels(grown.uri) == ["a", "b", "c"]


def test_too_many_rejects_fail_after_writing_the_report(tmp_path):
    rows = [(f"t{i}", "a") for i in range(5)] + [("", "a")] * 3
    cfg = RunConfig(data=_csv(tmp_path / "bad.csv", rows), output=str(tmp_path / "out"))
    with pytest.raises(DataError, match=r"3 of 8 records were rejected .* raise --max-reject-fraction / "
                                        r"ingest.max_reject_fraction\. Rejects report: .*rejects.txt"):
        run_example_gen(cfg, str(tmp_path / "artifacts"))
    assert "empty text" in open(tmp_path / "out" / "reports" / "ingest" / "rejects.txt").read()


def test_the_executor_is_handed_only_its_config_sections(tmp_path):
    cfg = RunConfig(data=_csv(tmp_path / "k.csv", [("x", "a")] * 3), blessing={"min_f1": 0.9})
    component = KnowledgeExampleGen(config=cfg)
    handed = json.loads(component.exec_properties[CONFIG_KEY])
    assert set(handed) == {"task", "output", "data", "ingest"}
    assert component.exec_properties[INPUT_FINGERPRINT_KEY].startswith("1-files-")
    assert set(component.outputs) == {EXAMPLES_KEY, REJECTS_KEY}
    assert issubclass(component.executor_spec.executor_class, Executor)
