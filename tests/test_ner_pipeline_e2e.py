"""End to end: the NER pipeline on the first WNUT-2016 sentences with a tiny BERT."""
import glob
import json
import os

import numpy as np
import pytest

from kerasknow.cli import main
from kerasknow.config import RunConfig
from kerasknow.demo import first_sentences, wnut_file
from kerasknow.local_run import run_local

TYPES = {"company", "facility", "geo-loc", "movie", "musicartist", "other", "person", "product",
         "sportsteam", "tvshow"}


def _small_config(tmp_path, data, tiny_bert_dir, **overrides):
    values = dict(task="ner", data=data, output=str(tmp_path / "out"), model_name="entities",
                  checkpoint=tiny_bert_dir, max_seq_length=48, epochs=1, batch_size=16, tuner_trials=1,
                  tuner_max_examples=32, eval_fraction=0.25, min_mentions_per_type=1,
                  learning_rates=[1e-3], dropouts=[0.1])
    values.update(overrides)
    return RunConfig(**values)


@pytest.fixture(scope="module")
def ner_run(tmp_path_factory, tiny_bert_dir):
    tmp_path = tmp_path_factory.mktemp("ner_e2e")
    data = first_sentences(wnut_file(), str(tmp_path / "wnut" / "ner.txt"), 160)
    cfg = _small_config(tmp_path, data, tiny_bert_dir)
    return cfg, run_local(cfg)


def test_ner_pipeline_pushes_a_model_with_entity_metrics_and_logs(ner_run):
    cfg, result = ner_run
    out = cfg.output
    assert os.path.exists(os.path.join(result.pushed_model, "saved_model.pb"))
    assert os.path.dirname(result.pushed_model) == os.path.join(out, "serving", "entities")
    summary = json.load(open(os.path.join(out, "reports", "ingest", "summary.json")))
    assert summary["read"] == summary["used"] + summary["rejected"] == 160
    report = json.load(open(os.path.join(out, "reports", "validation", "report.json")))
    assert report["errors"] == 0
    checks = {f["check"] for f in report["findings"]}
    assert {"entity_mentions", "truncated_sentences"} <= checks, checks
    metrics = json.load(open(os.path.join(out, "reports", "evaluation", "metrics.json")))
    # Entity-level per-type metrics (seqeval's types, no B-/I- prefixes) and token accuracy.
    assert set(metrics["per_class"]) <= TYPES and metrics["per_class"]
    assert 0.5 < metrics["accuracy"] <= 1.0  # tokens are mostly O; a trained tagger gets most right
    assert "confusion_matrix" not in metrics
    assert metrics["blessed"] is True
    for part in ("validation", "tuning", "evaluation"):
        assert glob.glob(os.path.join(out, "tensorboard", part, "**", "events.out.tfevents.*"), recursive=True), part
    labels = json.load(open(glob.glob(os.path.join(out, "tfx", "KnowledgeExampleGen", "examples", "*",
                                                   "labels.json"))[0]))
    assert "O" in labels and all(t == "O" or t[:2] in ("B-", "I-") for t in labels)


def test_served_entities_over_grpc_with_character_offsets(ner_run):
    from kerasknow.serving.formatting import format_predictions
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    cfg, _ = ner_run
    texts = ["Zoë flew to New York with Apple", "nothing here at all"]
    with DevModelServer(cfg.serving_model_dir(), cfg.model_name, port=0) as server:
        with PredictionClient(f"127.0.0.1:{server.port}", cfg.model_name) as client:
            out = client.predict_texts(texts)
    for name in ("entity_types", "entity_starts", "entity_ends", "entity_texts", "entity_scores"):
        assert out[name].shape[0] == 2, name
    for i, text in enumerate(texts):
        for j in range(int(np.asarray(out["entity_counts"])[i])):
            start, end = int(out["entity_starts"][i][j]), int(out["entity_ends"][i][j])
            assert text[start:end] == out["entity_texts"][i][j].decode("utf-8")
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
    assert set(tasks) >= {"KnowledgeExampleGen", "KnowledgeValidator", "Tuner", "Trainer", "KnowledgeEvaluator", "Pusher"}
    assert '\\"task\\": \\"ner\\"' in spec.read_text()


def test_bad_conll_rows_fail_with_file_line_and_keep_earlier_outputs(ner_run, tmp_path, capsys):
    cfg, first = ner_run
    bad = tmp_path / "bad.conll"
    good = open(cfg.data, encoding="utf-8").read().split("\n\n")[:20]
    # A token line without a tag, and a sentence whose tag column is missing altogether.
    bad.write_text("\n\n".join(good) + "\n\nlonely\n\nx\tO\ny\n")
    code = main(["run", "--task", "ner", "--data", str(bad), "--output", cfg.output, "--checkpoint", cfg.checkpoint,
                 "--model-name", cfg.model_name])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("kerasknow: error: 2 of 22 records were rejected"), last
    assert "bad.conll:" in last and last.endswith("reports/ingest/rejects.txt")
    assert os.path.exists(os.path.join(first.pushed_model, "saved_model.pb"))


@pytest.mark.slow
def test_real_ner_demo_path_on_wnut_subset_with_minilm(tmp_path, capsys):
    """The real thing: MiniLM, the first 800 WNUT-2016 sentences, served entities."""
    from kerasknow.demo import run_demo

    assert run_demo("ner", str(tmp_path / "demo"), examples_per_label=800) == 0
    printed = capsys.readouterr().out
    metrics = json.load(open(tmp_path / "demo" / "reports" / "evaluation" / "metrics.json"))
    assert metrics["f1"] > 0.05, metrics  # an all-O tagger scores 0
    assert "served prediction" in printed and "entity micro-F1" in printed
