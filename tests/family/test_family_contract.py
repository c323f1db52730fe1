"""Every registered task family honours the same contract, on small real data and a tiny model.

read -> to_example -> knowledge checks -> build -> one training step -> export -> serve ->
evaluate. A new family (or a change to the interface) is checked here the same way as the others.
"""
import os

import keras_tuner
import numpy as np
import pytest

from kerasknow.config import TASK_SPECS, RunConfig
from kerasknow.family.registry import FAMILIES, get_task_family
from kerasknow.family.task_family import TaskFamily
from kerasknow.testing import ingest_to_splits, train_context
from kerasknow.validation.finding import Finding


def _text_data(root):
    from kerasknow.demo import bbc_news_dir, subset_folder

    return subset_folder(bbc_news_dir(), str(root), 4)


def _ner_data(root):
    from kerasknow.demo import first_sentences, wnut_file

    return first_sentences(wnut_file(), str(root / "ner.txt"), 40)


def _image_data(root):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for c in range(3):
        os.makedirs(root / f"digit{c}", exist_ok=True)
        for i, img in enumerate(digits.images[digits.target == c][:8]):
            Image.fromarray((img * 255.0 / 16.0).round().astype(np.uint8), mode="L").save(
                root / f"digit{c}" / f"{i}.png")
    return str(root)


# Per family: its small real data and the sections that make its model tiny.
CASES = {
    "text-classification": (_text_data, lambda ckpt: {"model": {"checkpoint": ckpt, "max_seq_length": 32}}),
    "ner": (_ner_data, lambda ckpt: {"model": {"checkpoint": ckpt, "max_seq_length": 32}}),
    "image-classification": (_image_data, lambda ckpt: {
        "model": {"backbone": "MobileNetV2(alpha=0.35)", "backbone_weights": "none", "image_size": 32}}),
}


def test_every_family_has_a_spec_and_a_contract_case():
    assert set(FAMILIES) == set(TASK_SPECS) == set(CASES)
    for name in FAMILIES:
        family = get_task_family(name)
        assert isinstance(family, TaskFamily)
        assert family.spec is TASK_SPECS[name] and family.name == name


@pytest.mark.parametrize("task", sorted(FAMILIES))
def test_family_contract(task, tmp_path, tiny_bert_dir):
    import tensorflow as tf

    make_data, sections = CASES[task]
    data = make_data(tmp_path / "data")
    cfg = RunConfig(task=task, data=data, output=str(tmp_path / "out"), ingest={"eval_fraction": 0.3},
                    validation={"min_examples_per_label": 1, "min_mentions_per_type": 1},
                    tuning={"learning_rates": [1e-3], "dropouts": [0.1]},
                    training={"epochs": 1, "batch_size": 4, "seed": 0}, **sections(tiny_bert_dir))
    family = get_task_family(task)

    # read -> to_example: every record counted, used ones encoded, labels from the label feature.
    report, files, decoded, labels = ingest_to_splits(family, cfg, str(tmp_path / "examples"))
    assert report.read == report.used + report.rejected and report.used > 0
    assert decoded["train"] and decoded["eval"] and labels == sorted(labels)
    assert all(family.label_feature in ex for ex in decoded["train"])

    # knowledge checks: findings of known severities, no errors on clean real data.
    findings = family.knowledge_checks(decoded, cfg)
    assert findings and all(isinstance(f, Finding) for f in findings)
    assert not [f for f in findings if f.severity == "error"], [f.message for f in findings]

    # build -> one training step: the plan comes with the context; the loss is finite.
    ctx = train_context(cfg, labels, files, str(tmp_path / "run"), family)
    assert ctx.plan is not None
    tf.keras.utils.set_random_seed(0)
    model = family.build_model(keras_tuner.HyperParameters(), ctx)
    train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size)
    logs = model.train_on_batch(*next(iter(train_ds)), return_dict=True)
    assert np.isfinite(logs["loss"]), logs
    phases = family.phases(model, ctx)
    assert sum(p.epochs for p in phases) == cfg.training.epochs

    # export -> evaluate through the exported signatures.
    family.export(model, ctx.serving_model_dir, ctx)
    loaded = tf.saved_model.load(ctx.serving_model_dir)
    assert {"serving_default", "serving_examples"} <= set(loaded.signatures)
    # serving_inputs: what a client sends (the pusher's warm-up requests), one row per example.
    rows = decoded["eval"][:2]
    inputs = family.serving_inputs(rows)
    served = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})
    assert served and all(int(v.shape[0]) == len(rows) for v in served.values())
    metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, cfg)
    assert {"accuracy", "f1", "scalars", "per_class"} <= set(metrics)
    assert 0.0 <= metrics["accuracy"] <= 1.0 and 0.0 <= metrics["f1"] <= 1.0
    assert all(np.isfinite(v) for v in metrics["scalars"].values())
