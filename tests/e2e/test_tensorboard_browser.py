"""TensorBoard in a real headless browser (Debian's chromium) on a small run's logdir.

The runs and tags are checked through TensorBoard's own HTTP data API; the page itself is
rendered by chromium. With `KERASKNOW_SCREENSHOTS=DIR` every dashboard's screenshot is written
to DIR (docs/images/tensorboard holds the ones docs/tensorboard.md shows).
"""
import os

import pytest
from board_browser import CHROMIUM, DASHBOARDS, get_json, rendered_dom, screenshot, tensorboard, wait_for_runs

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium (bash tools/setup_env.sh installs it)")

CLASSES = ("business", "entertainment", "politics", "sports", "tech")


def test_tensorboard_shows_every_part_of_the_run_by_name_with_its_tags(text_run, tmp_path):
    from PIL import Image

    cfg, result, _, _ = text_run
    run = result.run_id
    expected = [f"{run}/{part}" for part in ("validation", "tuning/trial-0", "tuning/trial-0/train",
                                             "tuning/trial-0/validation", "training", "training/train",
                                             "training/validation", "evaluation")]
    with tensorboard(cfg.tensorboard_dir()) as url:
        assert sorted(wait_for_runs(url, expected)) == sorted(expected)
        scalars = get_json(url + "data/plugin/scalars/tags")
        assert {"step/loss", "step/learning_rate", "step/examples_per_second", "epoch_loss"} <= set(
            scalars[f"{run}/training/train"])
        assert {"accuracy", "macro_f1"} | {f"f1/{c}" for c in CLASSES} <= set(scalars[f"{run}/evaluation"])
        assert {"findings/warning", "data/examples_train"} <= set(scalars[f"{run}/validation"])
        images = get_json(url + "data/plugin/images/tags")
        assert set(images[f"{run}/evaluation"]) == {"confusion_matrix", "per_class_precision_recall_f1"}
        curves = get_json(url + "data/plugin/pr_curves/tags")
        assert set(curves[f"{run}/evaluation"]) == {f"pr_curves/{c}/pr_curves" for c in CLASSES}
        texts = get_json(url + "data/plugin/text/tags")
        assert texts[f"{run}/validation"] == ["knowledge_report"] and texts[f"{run}/evaluation"] == ["metrics"]
        # The HParams dashboard: the tuner's trial and the trained model, with the same hyperparameters.
        experiment = get_json(url + "data/plugin/hparams/experiment", {"experimentName": ""})
        assert {h["name"] for h in experiment["hparamInfos"]} == {"finetune_strategy", "learning_rate", "dropout"}
        groups = get_json(url + "data/plugin/hparams/session_groups", {
            "experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                                      "STATUS_RUNNING"],
            "colParams": [], "startIndex": 0, "sliceSize": 100})
        assert {g["name"] for g in groups["sessionGroups"]} == {f"{run} trial-0", f"{run} final model"}

        # The browser renders the dashboards: every run is on the page, and a screenshot is drawn.
        dom = rendered_dom(url + "#timeseries")
        for name in expected:
            assert name in dom, name
        folder = os.environ.get("KERASKNOW_SCREENSHOTS")
        shots = [screenshot(url + f"#{d}", os.path.join(folder or str(tmp_path), f"{d}.png"))
                 for d in (DASHBOARDS if folder else ("hparams",))]
    for shot in shots:
        low, high = Image.open(shot).convert("L").getextrema()
        assert high - low > 100, shot  # not a blank page
