"""End to end: the NER pipeline on the first WNUT-2016 sentences with a tiny BERT."""
import glob
import json
import os
import re

import numpy as np
import pytest

from e2e_configs import assert_same_answers, served_both_ways, small_config

from kerasknow.cli import main
from kerasknow.local_run import run_local

TYPES = {"company", "facility", "geo-loc", "movie", "musicartist", "other", "person", "product",
         "sportsteam", "tvshow"}


@pytest.fixture(scope="module")
def ner_run(tmp_path_factory, tiny_bert_dir, wnut_subset):
    cfg = small_config("ner", wnut_subset, str(tmp_path_factory.mktemp("ner_e2e") / "out"), tiny_bert_dir,
                       model_name="entities")
    return cfg, run_local(cfg)


def test_ner_pipeline_pushes_a_model_with_entity_metrics_and_logs(ner_run):
    cfg, result = ner_run
    out = cfg.output
    assert os.path.exists(os.path.join(result.pushed_model, "saved_model.pb"))
    assert os.path.dirname(result.pushed_model) == os.path.join(out, "serving", "entities")
    summary = json.load(open(os.path.join(result.reports, "ingest", "summary.json")))
    assert summary["read"] == summary["used"] + summary["rejected"] == 160
    report = json.load(open(os.path.join(result.reports, "validation", "report.json")))
    assert report["errors"] == 0
    checks = {f["check"] for f in report["findings"]}
    assert {"entity_mentions", "truncated_sentences"} <= checks, checks
    metrics = json.load(open(os.path.join(result.reports, "evaluation", "metrics.json")))
    # Entity-level per-type metrics (seqeval's types, no B-/I- prefixes): the eval split's types.
    eval_types = {t[2:] for ex in _eval_examples(out) for t in ex["tags"] if t != "O"}
    # seqeval also lists a type only predicted (support 0): the types with support are the eval split's.
    assert {t for t, m in metrics["per_class"].items() if m["support"] > 0} == eval_types and eval_types <= TYPES
    assert set(metrics["per_class"]) <= TYPES
    assert "confusion_matrix" not in metrics
    # The reported token accuracy is the pushed model's, recomputed here from its own tags.
    y_true, y_pred = _served_tags(result.pushed_model, _eval_examples(out))
    hits = sum(t == p for ts, ps in zip(y_true, y_pred) for t, p in zip(ts, ps))
    assert metrics["accuracy"] == pytest.approx(hits / sum(len(ts) for ts in y_true))
    for part in ("validation", "tuning", "evaluation"):
        assert glob.glob(os.path.join(out, "tensorboard", result.run_id, part, "**", "events.out.tfevents.*"),
                         recursive=True), part
    labels = json.load(open(glob.glob(os.path.join(out, "tfx", "KnowledgeExampleGen", "examples", "*",
                                                   "labels.json"))[0]))
    assert "O" in labels and all(t == "O" or t[:2] in ("B-", "I-") for t in labels)


def _eval_examples(out):
    import tensorflow as tf

    from kerasknow.data.example_codec import decode_example

    files = glob.glob(os.path.join(out, "tfx", "KnowledgeExampleGen", "examples", "*", "Split-eval", "*.gz"))
    records = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [{k: [v.decode() if isinstance(v, bytes) else v for v in vs] for k, vs in decode_example(r.numpy()).items()}
            for r in records]


def _served_tags(saved_model_dir, examples):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401

    from kerasknow.data.example_codec import encode_features

    tagger = tf.saved_model.load(saved_model_dir).signatures["serving_examples"]
    out = tagger(examples=tf.constant([encode_features({"tokens": ex["tokens"]}).SerializeToString()
                                       for ex in examples]))
    y_pred = [[t.decode() for t in row[:n]] for row, n in zip(out["tags"].numpy(), out["token_counts"].numpy())]
    return [ex["tags"] for ex in examples], y_pred


def test_served_entities_over_grpc_and_rest_equal_the_saved_model(ner_run):
    from kerasknow.serving.formatting import format_predictions

    import tensorflow as tf

    cfg, result = ner_run
    texts = ["Zoë flew to New York with Apple", "nothing here at all"]
    out, via_rest = served_both_ways(cfg, {"texts": texts})
    assert_same_answers(out, via_rest)
    # Character offsets are tested on a model that finds entities (tests/ner/test_ner_export.py);
    # here the served answer must be the SavedModel's own, output by output.
    local = tf.saved_model.load(result.pushed_model).signatures["serving_default"](texts=tf.constant(texts))
    assert set(out) == set(local)
    for key, value in local.items():
        np.testing.assert_array_equal(np.asarray(out[key]), value.numpy(), err_msg=key)
    printed = format_predictions(out, texts).splitlines()
    assert printed[0] == texts[0]


def test_compile_ner_pipeline_for_kubeflow(ner_run, tmp_path, capsys):
    cfg, _ = ner_run
    spec = tmp_path / "ner.json"
    assert main(["compile", "--kubeflow", str(spec), "--task", "ner", "--data", cfg.data,
                 "--output", str(tmp_path / "kfp-out")]) == 0
    pipeline = json.loads(spec.read_text())
    assert pipeline["pipelineSpec"]["pipelineInfo"]["name"] == "kerasknow-ner"
    tasks = pipeline["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(tasks) >= {"KnowledgeExampleGen", "KnowledgeValidator", "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"}
    assert '\\"task\\": \\"ner\\"' in spec.read_text()


def test_bad_conll_rows_fail_with_file_line_and_keep_earlier_outputs(ner_run, tmp_path, capsys):
    cfg, first = ner_run
    bad = tmp_path / "bad.conll"
    good = open(cfg.data, encoding="utf-8").read().split("\n\n")[:20]
    # A token line without a tag, and a sentence whose tag column is missing altogether.
    bad.write_text("\n\n".join(good) + "\n\nlonely\n\nx\tO\ny\n")
    code = main(["run", "--task", "ner", "--data", str(bad), "--output", cfg.output,
                 "--checkpoint", cfg.model.checkpoint, "--model-name", cfg.serving.model_name])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("kerasknow: error: 2 of 22 records were rejected"), last
    assert "bad.conll:" in last and re.search(r"/reports/\d{8}-\d{6}(-\d+)?/ingest/rejects\.txt$", last)
    assert os.path.exists(os.path.join(first.pushed_model, "saved_model.pb"))


def test_the_default_gate_refuses_an_all_outside_tagger(ner_run, tmp_path, capsys):
    """The probe of issue 14: a tagger that finds no entity was blessed and pushed. Now it is refused.

    A tiny BERT trained for one epoch finds (almost) no entity: refused by the default gate, with the
    model's figures next to the all-O tagger's."""
    cfg, _ = ner_run
    out = tmp_path / "out"
    code = main(["run", "--task", "ner", "--data", cfg.data, "--output", str(out), "--checkpoint",
                 cfg.model.checkpoint, "--max-seq-length", "48", "--epochs", "1", "--tuner-trials", "1"])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("kerasknow: error: The model was trained but NOT blessed, so nothing was pushed: "), last
    assert re.search(r"entity micro-F1 0\.0\d\d\d < 0\.1000, the all-O tagger baseline 0\.0000 plus a margin of "
                     r"0\.1 of the headroom \(--blessing-margin / blessing.margin; --min-f1", last), last
    metrics = json.load(open(glob.glob(str(out / "tfx" / "KnowledgeEvaluator" / "evaluation" / "*" /
                                           "metrics.json"))[0]))
    assert metrics["gate"]["baseline"]["name"] == "all-O tagger" and metrics["f1"] < 0.1
    assert not os.path.exists(out / "serving" / "knowledge")


@pytest.mark.slow
def test_real_ner_demo_path_on_wnut_subset_with_minilm(tmp_path, capsys):
    """The real thing: MiniLM, the first 800 WNUT-2016 sentences, served entities."""
    from kerasknow.demo import run_demo

    assert run_demo("ner", str(tmp_path / "demo"), examples_per_label=800) == 0
    printed = capsys.readouterr().out
    metrics = json.load(open(tmp_path / "demo" / "reports" / "latest" / "evaluation" / "metrics.json"))
    assert metrics["f1"] > 0.05, metrics  # an all-O tagger scores 0
    assert "served prediction" in printed and "entity micro-F1" in printed
