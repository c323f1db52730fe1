"""Beam ingest gives exactly the records and rejects of the family's reader on the same inputs.

The reference is `kerasknow.testing.ingest_to_splits`: the family's reader in one Python loop, the
hash split and one TFRecord file per split, which is what KnowledgeExampleGen did before Beam.
"""
import collections
import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from tfx.dsl.components.base import base_beam_executor

from kerasknow.components.component_io import read_split_records
from kerasknow.config import RunConfig
from kerasknow.data.label_vocabulary import read_labels
from kerasknow.errors import DataError
from kerasknow.family.registry import get_task_family
from kerasknow.testing import ingest_to_splits, run_example_gen

MULTI_PROCESS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def _text_knowledge(root):
    """A folder of CSV, TSV and JSONL files with every kind of bad row the text reader rejects."""
    root.mkdir()
    rows = [f"fact number {i},{'abc'[i % 3]}" for i in range(30)]
    (root / "a.csv").write_text("text,label\n" + "\n".join(rows[:15]) + "\n,a\n\nonly one column\n"
                                + '"a quoted\nfact on two lines",b\n' + "duplicate fact,a\nDuplicate  fact,b\n",
                                encoding="utf-8")
    (root / "b.tsv").write_text("label\ttext\n" + "".join(f"{'abc'[i % 3]}\ttsv fact {i}\n" for i in range(12))
                                + "a\t\n\t no label\n", encoding="utf-8")
    (root / "c.jsonl").write_bytes(
        "".join(json.dumps({"text": f"json fact {i}", "label": "abc"[i % 3]}) + "\n" for i in range(12)).encode()
        + b'{"text": 3, "label": "a"}\n{not json}\n[1, 2]\n{"text": "caf\xe9", "label": "a"}\n'
        + b'{"text": "no label here"}\n')
    return str(root)


def _conll_knowledge(root):
    root.mkdir()
    (root / "a.conll").write_text(
        "John\tB-person\nSmith\tI-person\nlives\tO\n\nin\tO\nParis\tB-geo-loc\n\nbad\n\n"
        "Mary\tB-person\nworks\tO\nat\tO\nACME\tB-company\n\nan\tO\nI-tag\tI-company\n", encoding="utf-8")
    # IOB1 (every entity starts with I-): converted, and reported as a change.
    (root / "b.conll").write_text("Anna\tI-person\nvisits\tO\nRome\tI-geo-loc\n\nBob\tI-person\nsleeps\tO\n\n"
                                  "Carl\tI-person\nrests\tO\nhere\tX-bad\n", encoding="utf-8")
    return str(root)


def _png(seed, size=(12, 10)):
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (*size, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def _image_knowledge(root):
    for label in ("cat", "dog"):
        (root / label).mkdir(parents=True)
        for i in range(6):
            (root / label / f"{i}.png").write_bytes(_png(i + (10 if label == "dog" else 0)))
    (root / "cat" / "same_as_dog.png").write_bytes(_png(10))
    (root / "cat" / "empty.png").write_bytes(b"")
    (root / "dog" / "notes.txt").write_bytes(b"not an image")
    (root / "loose.png").write_bytes(_png(99))
    return str(root)


def _reference(cfg, tmp_path):
    report, _, _, labels = ingest_to_splits(get_task_family(cfg.task), cfg, str(tmp_path / "reference"))
    return report, labels, _records(str(tmp_path / "reference"))


def _records(uri):
    """Split -> multiset of serialised examples (Beam shards have no order across workers)."""
    from tfx.types import standard_artifacts

    examples = standard_artifacts.Examples()
    examples.uri = uri
    examples.split_names = '["train", "eval"]'
    return {split: collections.Counter(data for _, data in read_split_records(examples, split))
            for split in ("train", "eval")}


def _run_beam(cfg, root, beam_args=None):
    from tfx.types import standard_artifacts

    from kerasknow.components.component_keys import CONFIG_KEY, EXAMPLES_KEY, INPUT_FINGERPRINT_KEY, REJECTS_KEY
    from kerasknow.components.knowledge_artifacts import KnowledgeRejects
    from kerasknow.components.knowledge_example_gen.component import KnowledgeExampleGen, fingerprint_inputs
    from kerasknow.components.knowledge_example_gen.executor import Executor

    examples, rejects = standard_artifacts.Examples(), KnowledgeRejects()
    examples.uri, rejects.uri = os.path.join(root, "examples"), os.path.join(root, "rejects")
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=beam_args or [])
    Executor(context).Do({}, {EXAMPLES_KEY: [examples], REJECTS_KEY: [rejects]},
                         {CONFIG_KEY: cfg.to_json(KnowledgeExampleGen.CONFIG_SECTIONS),
                          INPUT_FINGERPRINT_KEY: fingerprint_inputs(cfg.data)})
    return examples, rejects


def _rejects_jsonl(rejects):
    with open(os.path.join(rejects.uri, "rejects.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize("task, make, ingest", [
    ("text-classification", _text_knowledge, {}),
    ("ner", _conll_knowledge, {}),
    ("ner", _conll_knowledge, {"repair_bio": True}),
    ("image-classification", _image_knowledge, {}),
])
def test_beam_ingest_gives_exactly_the_readers_records_and_rejects(tmp_path, task, make, ingest):
    data = make(tmp_path / "data")
    cfg = RunConfig(task=task, data=data, output=str(tmp_path / "out"),
                    ingest={"max_reject_fraction": 1.0, "eval_fraction": 0.3, **ingest})
    report, labels, records = _reference(cfg, tmp_path)
    assert report.rejected > 0 and sum(map(sum, (c.values() for c in records.values()))) == report.used

    examples, rejects = _run_beam(cfg, str(tmp_path / "beam"))
    assert _records(examples.uri) == records
    assert read_labels(examples.uri) == labels
    # The same rejects, with file, line, reason and excerpt, in the reader's order.
    import dataclasses

    assert _rejects_jsonl(rejects) == [dataclasses.asdict(r) for r in report.rejects]
    summary = json.load(open(os.path.join(rejects.uri, "summary.json")))
    assert summary == report.summary()
    assert open(os.path.join(rejects.uri, "rejects.txt")).read().splitlines()[0] == \
        f"Knowledge data: {report.summary_line()}"
    assert (rejects.get_int_custom_property("read"), rejects.get_int_custom_property("used"),
            rejects.get_int_custom_property("rejected")) == (report.read, report.used, report.rejected)
    assert {s: examples.get_int_custom_property(f"num_{s}") for s in ("train", "eval")} == \
        {s: sum(c.values()) for s, c in records.items()}
    assert not tf.io.gfile.exists(os.path.join(rejects.uri, ".ledger"))


def test_ner_changes_of_every_file_are_merged(tmp_path):
    cfg = RunConfig(task="ner", data=_conll_knowledge(tmp_path / "data"), output=str(tmp_path / "out"),
                    ingest={"max_reject_fraction": 1.0, "repair_bio": True})
    report, _, _ = _reference(cfg, tmp_path)
    _, rejects = _run_beam(cfg, str(tmp_path / "beam"))
    changes = json.load(open(os.path.join(rejects.uri, "summary.json")))["changes"]
    assert changes == report.changes
    assert changes["iob1_files_converted_to_iob2"] == [os.path.join(cfg.data, "b.conll")]
    assert changes["bio_tags_repaired"] == 1


def test_the_multi_process_direct_runner_gives_the_same_records_and_rejects(tmp_path):
    cfg = RunConfig(data=_text_knowledge(tmp_path / "data"), output=str(tmp_path / "out"),
                    ingest={"max_reject_fraction": 1.0, "eval_fraction": 0.3})
    report, labels, records = _reference(cfg, tmp_path)
    examples, rejects = _run_beam(cfg, str(tmp_path / "beam"), MULTI_PROCESS)
    assert _records(examples.uri) == records
    assert read_labels(examples.uri) == labels
    assert [r["line"] for r in _rejects_jsonl(rejects)] == [r.line for r in report.rejects]
    assert json.load(open(os.path.join(rejects.uri, "summary.json"))) == report.summary()


def test_a_part_the_reader_refuses_fails_the_run_with_the_readers_message(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("text,label\nfine,a\n", encoding="utf-8")
    (data / "b.csv").write_bytes("text,label\nfine,a\n".encode("utf-16"))
    cfg = RunConfig(data=str(data), output=str(tmp_path / "out"))
    with pytest.raises(DataError, match=r"b\.csv is encoded as UTF-16 .*Re-save it as UTF-8"):
        run_example_gen(cfg, str(tmp_path / "artifacts"))


def test_reads_knowledge_on_a_non_local_file_system(tmp_path):
    # ram:// is TensorFlow's in-memory file system: what gs:// or s3:// are to a cluster.
    root = "ram://knowledge-beam-test"
    tf.io.gfile.makedirs(root)
    local = _text_knowledge(tmp_path / "local")
    for name in ("a.csv", "c.jsonl"):
        with open(os.path.join(local, name), "rb") as src, tf.io.gfile.GFile(f"{root}/{name}", "wb") as dst:
            dst.write(src.read())
    cfg = RunConfig(data=root, output=str(tmp_path / "out"), ingest={"max_reject_fraction": 1.0})
    parts = get_task_family(cfg.task).read_parts(cfg)
    assert parts == [f"{root}/a.csv", f"{root}/c.jsonl"]
    examples, rejects = _run_beam(cfg, str(tmp_path / "beam"))
    rejected = _rejects_jsonl(rejects)
    assert {r["source"] for r in rejected} == set(parts)
    assert any(r["source"] == f"{root}/c.jsonl" and r["line"] == 16 and "invalid UTF-8" in r["reason"]
               for r in rejected)
    assert sum(examples.get_int_custom_property(f"num_{s}") for s in ("train", "eval")) == \
        rejects.get_int_custom_property("used") > 0
