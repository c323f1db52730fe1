"""KnowledgeBase's Beam merge: what an update keeps, corrects, replays and trains on, written as
Examples folders, in one process and with the DirectRunner's worker processes."""
import collections
import glob
import os

import apache_beam as beam
import pytest
import tensorflow as tf
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.types import artifact_utils, standard_artifacts

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, KNOWLEDGE_KEY, KNOWLEDGE_SCHEMA_KEY,
                                                 KNOWLEDGE_STATISTICS_KEY, SCHEMA_KEY, TRAINING_KEY)
from kerasknow.components.knowledge_base.beam_merge import run_beam_merge
from kerasknow.components.knowledge_base.component import KnowledgeBase
from kerasknow.components.knowledge_base.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.data.label_vocabulary import read_labels
from kerasknow.data.write_examples import write_examples
from kerasknow.errors import DataError
from kerasknow.testing import artifact, run_example_gen, run_statistics_and_schema
from kerasknow.update.knowledge_merge import SPLITS, TRAINING_SPLITS, check_corrections, merged_labels

MULTI_PROCESS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def _ex(text, label):
    return encode_features({"text": text, "label": label}).SerializeToString()


OLD = {"train": [_ex(f"old sport {i}", "sport") for i in range(6)] + [_ex(f"old tech {i}", "tech") for i in range(6)],
       "eval": [_ex("held sport", "sport"), _ex("held tech", "tech")]}


def _read(uri, split):
    files = sorted(glob.glob(os.path.join(uri, f"Split-{split}", "*")))
    assert files, f"no files in {uri}/Split-{split}"
    return [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


def _texts(records):
    return sorted(decode_example(r)["text"][0].decode() for r in records)


def _merge(root, new, old, strategy="replay", replay_size=4, seed=0, beam_args=(), task="text-classification",
           old_labels=("sport", "tech"), old_model_dir=""):
    root = str(root)
    write_examples(os.path.join(root, "new"), ((s, b) for s in SPLITS for b in new.get(s, [])))
    old_uri = ""
    if old is not None:
        old_uri = os.path.join(root, "old")
        write_examples(old_uri, ((s, b) for s in SPLITS for b in old.get(s, [])))
    out = {name: os.path.join(root, name) for name in ("training", "knowledge", "statistics")}
    merge = run_beam_merge(beam.Pipeline(argv=list(beam_args)), task, os.path.join(root, "new"), old_uri,
                           list(old_labels), strategy, replay_size, seed,
                           out["training"], out["knowledge"], out["statistics"], os.path.join(root, "work"),
                           old_model_dir=old_model_dir)
    assert not os.path.exists(os.path.join(root, "work"))
    training = {split: _read(out["training"], split) for split in TRAINING_SPLITS}
    knowledge = {split: _read(out["knowledge"], split) for split in SPLITS}
    return merge, training, knowledge, out


def test_old_labels_keep_their_ids_and_new_ones_are_appended():
    assert merged_labels(["tech", "sport"], ["art", "sport", "business"]) == ["tech", "sport", "art", "business"]


def test_an_update_merges_known_corrected_and_new_knowledge(tmp_path):
    new = {"train": [_ex("old sport 1", "sport"),          # already known
                     _ex("Old  Tech 2", "sport"),          # a correction (same text after folding)
                     _ex("a painting", "art"), _ex("a sculpture", "art")],
           "eval": [_ex("an opera", "art")]}
    merge, training, knowledge, out = _merge(tmp_path, new, OLD)
    assert merge.labels == ["sport", "tech", "art"] and merge.new_labels == ["art"]
    s = merge.summary
    assert (s["old"], s["new"], s["new_train"], s["already_known"], s["corrections"], s["replayed"]) == (
        14, 4, 3, 1, 1, 4)
    assert s["correction_examples"] == [{"key": "old tech 2", "old": ["tech"], "new": ["sport"]}]
    assert (s["new_label_examples"], s["labels_not_in_update"], s["knowledge_size"]) == (3, ["tech"], 14 - 1 + 4)
    # The knowledge base: the old minus the corrected text, plus the new knowledge.
    assert "old tech 2" not in _texts(knowledge["train"]) and "Old  Tech 2" in _texts(knowledge["train"])
    assert len(knowledge["train"]) == 12 - 1 + 3 == merge.knowledge_counts["train"]
    # replay: the new knowledge plus a class-balanced sample of the old.
    replayed = _texts(training["old_sample"])
    assert len(replayed) == 4 and sum(t.startswith("old sport") for t in replayed) == 2
    assert _texts(training["train"]) == sorted(_texts(new["train"][1:]) + replayed)
    assert _texts(training["eval_old"]) == ["held sport", "held tech"]
    assert _texts(training["eval_new"]) == ["an opera"]
    assert _texts(training["eval"]) == ["an opera", "held sport", "held tech"]
    assert merge.training_counts == {split: len(training[split]) for split in TRAINING_SPLITS}
    # The labels of the training set the Trainer reads (its class weights come from them).
    trained = collections.Counter(decode_example(r)["label"][0].decode() for r in training["train"])
    assert s["training_labels"] == dict(sorted(trained.items())) == {"art": 2, "sport": 3, "tech": 2}
    # The knowledge base's TFDV statistics, in StatisticsGen's layout, count what it holds.
    from tfx.components.statistics_gen import stats_artifact_utils
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    with open(os.path.join(out["statistics"], "Split-train", stats_artifact_utils.BINARY_PB_BASENAME), "rb") as f:
        stats.ParseFromString(f.read())
    assert stats.datasets[0].num_examples == 14


@pytest.mark.parametrize("strategy, train_size", [("naive", 3), ("ewc", 3), ("lwf", 3), ("replay+lwf", 7),
                                                  ("retrain", 14)])
def test_each_strategy_trains_on_its_examples(tmp_path, strategy, train_size):
    new = {"train": [_ex("old tech 0", "art"), _ex("a painting", "art"), _ex("a sculpture", "art")], "eval": []}
    merge, training, _, _ = _merge(tmp_path, new, OLD, strategy)
    assert len(training["train"]) == train_size
    assert len(training["old_sample"]) == 4  # what EWC measures its Fisher on, whatever the strategy
    assert training["eval_new"] == [] and merge.summary["replayed"] == (4 if "replay" in strategy else 0)


def test_the_replay_sample_is_class_balanced_and_stable(tmp_path):
    old = {"train": [_ex(f"common {i}", "sport") for i in range(40)] + [_ex(f"rare {i}", "tech") for i in range(3)],
           "eval": []}
    new = {"train": [_ex("a painting", "art")]}
    _, first, _, _ = _merge(tmp_path / "a", new, old, replay_size=10, seed=3)
    _, again, _, _ = _merge(tmp_path / "b", new, old, replay_size=10, seed=3)
    _, other, _, _ = _merge(tmp_path / "c", new, old, replay_size=10, seed=4)
    sample = _texts(first["old_sample"])
    assert sum(t.startswith("rare") for t in sample) == 3 and len(sample) == 10  # the rare class whole
    assert sample == _texts(again["old_sample"]) and sample != _texts(other["old_sample"])


def test_a_first_run_is_the_new_knowledge_as_it_is(tmp_path):
    merge, training, knowledge, _ = _merge(tmp_path, OLD, None)
    assert merge.summary["strategy"] == "first" and merge.new_labels == [] and merge.summary["old"] == 0
    assert _texts(training["train"]) == _texts(OLD["train"]) and training["old_sample"] == []
    assert _texts(knowledge["eval"]) == _texts(OLD["eval"]) == _texts(training["eval_new"])


def test_corrections_can_stop_the_update(tmp_path):
    new = {"train": [_ex("old sport 3", "tech"), _ex("old sport 1", "art")], "eval": []}
    merge, *_ = _merge(tmp_path, new, OLD)
    with pytest.raises(DataError, match=r"2 new examples have the text of earlier knowledge with another label "
                                        r"\(first: 'old sport 1': \['sport'\] before, \['art'\] now\).*"
                                        r"Received: update.corrections='error'"):
        check_corrections(merge.summary, "error")
    check_corrections(merge.summary, "new")


def test_the_worker_processes_merge_as_one_process_does(tmp_path):
    new = {"train": [_ex(f"old sport {i}", "sport") for i in range(3)] + [_ex("old tech 1", "sport")]
           + [_ex(f"new art {i}", "art") for i in range(20)], "eval": [_ex("an opera", "art")]}
    one = _merge(tmp_path / "one", new, OLD)
    two = _merge(tmp_path / "two", new, OLD, beam_args=MULTI_PROCESS)
    assert one[0] == two[0]
    for a, b in zip(one[1:3], two[1:3]):
        assert {split: collections.Counter(records) for split, records in a.items()} == {
            split: collections.Counter(records) for split, records in b.items()}


def test_ner_old_types_the_new_knowledge_leaves_as_o_take_the_old_models_tags(tmp_path, monkeypatch):
    # The old model stands in for a trained tagger (a minute of training): "Ann" is a person and
    # "Rome" a place to it.
    from kerasknow.ner import old_model_labels

    old_tags = {"Ann": "B-person", "Rome": "B-loc"}

    def old_tagger(saved_model_dir, sentences, batch_size=64, keep_loaded=False):
        assert saved_model_dir == "old-model" and keep_loaded
        return [[old_tags.get(token, "O") for token in sentence] for sentence in sentences]

    monkeypatch.setattr(old_model_labels, "served_tags", old_tagger)

    def sentence(tokens, tags):
        return encode_features({"tokens": tokens, "tags": tags, "num_tokens": len(tokens)}).SerializeToString()

    old = {"train": [sentence(["Ann", "sings"], ["B-person", "O"])], "eval": []}
    # The new knowledge annotates movies, and places in one sentence: its "Rome"s left O are its
    # own call, not background (most batches of 64 hold no loc tag, the split as a whole does).
    new = {"train": [sentence(["Ann", "saw", "Jaws"], ["O", "O", "B-movie"]), sentence(["Rome", "!"], ["B-loc", "O"])]
           + [sentence(["Rome", f"{i}"], ["O", "O"]) for i in range(150)]}
    merge, training, _, _ = _merge(tmp_path, new, old, task="ner", old_labels=("B-person", "I-person", "B-loc", "O"),
                                   old_model_dir="old-model")
    tags = {" ".join(t.decode() for t in decode_example(r)["tokens"]): [t.decode() for t in decode_example(r)["tags"]]
            for r in training["train"]}
    assert tags["Ann saw Jaws"] == ["B-person", "O", "B-movie"]
    assert tags["Rome !"] == ["B-loc", "O"] and all(tags[f"Rome {i}"] == ["O", "O"] for i in range(150))
    assert merge.labels == ["B-person", "I-person", "B-loc", "O", "B-movie"]
    # What the new knowledge annotates is recorded as given, not as the old model filled it in:
    # the evaluator scores its persons as background from it.
    assert merge.summary["labels_seen"] == ["B-loc", "B-movie", "O"]
    assert merge.summary["labels_not_in_update"] == ["B-person", "I-person"] and merge.summary["old_model_labels"]


def test_the_executor_writes_tfx_artifacts_on_real_examples(tmp_path, tiny_bert_dir):
    data = tmp_path / "k.csv"
    data.write_text("text,label\n" + "\n".join(f"fact {i} about things,{'ab'[i % 2]}" for i in range(30)) + "\n")
    cfg = RunConfig(task="text-classification", data=str(data), output=str(tmp_path / "out"),
                    model={"checkpoint": tiny_bert_dir, "max_seq_length": 16})
    examples, _ = run_example_gen(cfg, str(tmp_path / "artifacts"))
    _, schema = run_statistics_and_schema(examples, str(tmp_path / "artifacts"))
    outs = {TRAINING_KEY: artifact(standard_artifacts.Examples, str(tmp_path / "training")),
            KNOWLEDGE_KEY: artifact(standard_artifacts.Examples, str(tmp_path / "knowledge")),
            KNOWLEDGE_STATISTICS_KEY: artifact(standard_artifacts.ExampleStatistics, str(tmp_path / "stats")),
            KNOWLEDGE_SCHEMA_KEY: artifact(standard_artifacts.Schema, str(tmp_path / "kept"))}
    Executor(BaseBeamExecutor.Context(beam_pipeline_args=["--direct_num_workers=1"])).Do(
        {EXAMPLES_KEY: [examples], SCHEMA_KEY: [schema]}, {k: [v] for k, v in outs.items()},
        {CONFIG_KEY: cfg.to_json(KnowledgeBase.CONFIG_SECTIONS)})
    training = outs[TRAINING_KEY]
    assert artifact_utils.decode_split_names(training.split_names) == list(TRAINING_SPLITS)
    for split in TRAINING_SPLITS:
        assert training.get_int_custom_property(f"num_{split}") == len(_read(training.uri, split))
    assert training.get_int_custom_property("num_train") + training.get_int_custom_property("num_eval") == 30
    assert training.get_string_custom_property("summary") == "knowledge base: 30 examples, 2 labels"
    assert read_labels(training.uri) == read_labels(outs[KNOWLEDGE_KEY].uri) == ["a", "b"]
    assert not os.path.exists(os.path.join(training.uri, ".beam"))
    assert os.path.exists(os.path.join(outs[KNOWLEDGE_SCHEMA_KEY].uri, "schema.pbtxt"))
