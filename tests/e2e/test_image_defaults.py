"""The image family's defaults as a new user meets them: no config, a folder of small real images."""
import json
import os

import pytest

from e2e_configs import FASHION_MNIST, fashion_folder

from kerasknow.cli import main

pytestmark = pytest.mark.skipif(not os.path.isdir(FASHION_MNIST), reason="needs Debian's dataset-fashion-mnist")


def _run_defaults(data, out, capsys):
    code = main(["run", "--task", "image-classification", "--data", data, "--output", out])
    captured = capsys.readouterr()
    assert code == 0, captured.err[-2000:]
    metrics = json.load(open(os.path.join(out, "reports", "latest", "evaluation", "metrics.json")))
    report = json.load(open(os.path.join(out, "reports", "latest", "validation", "report.json")))
    return metrics, {f["check"]: f for f in report["findings"]}, captured.out


@pytest.mark.slow
def test_the_default_config_learns_a_small_folder_of_28px_greyscale_images(tmp_path, capsys):
    """200 Fashion-MNIST PNGs of four classes, 28x28 greyscale: pretrained MobileNetV2 at 96 px.

    Slow (about 200 s on 2 cores, the real backbone's two phases): the fast suite checks the
    image family's default path with a tiny backbone (test_image_pipeline) and the size choice
    (tests/images/test_image_size_choice.py)."""
    data = fashion_folder(tmp_path / "data", per_class=50)
    metrics, findings, printed = _run_defaults(data, str(tmp_path / "out"), capsys)
    # The size was chosen from the data, and said.
    assert findings["image_input_size"]["details"]["size"] == 96
    assert "median 28x28 images (greyscale" in findings["image_input_size"]["message"]
    # Well above chance (0.25) and the majority baseline, so the default gate blesses it.
    assert metrics["accuracy"] >= 0.7, metrics["accuracy"]
    assert metrics["blessed"] is True and metrics["gate"]["thresholds"]["accuracy"] < metrics["accuracy"]
    assert "pushed " in printed and "/serving/knowledge/" in printed


@pytest.mark.slow
def test_the_default_config_on_1600_images_of_ten_classes(tmp_path, capsys):
    """The probe of issue 14 with real images: 1,600 28x28 PNGs of 10 classes, no config."""
    data = fashion_folder(tmp_path / "data", per_class=160, classes=range(10))
    metrics, findings, printed = _run_defaults(data, str(tmp_path / "out"), capsys)
    print(f"defaults on 1,600 Fashion-MNIST PNGs: accuracy {metrics['accuracy']:.3f}, f1 {metrics['f1']:.3f}")
    assert metrics["accuracy"] >= 0.7 and metrics["blessed"] is True  # chance is 0.10
