"""run_fn with finetune.strategy lora on the tiny BERT: the trainable count in the log, the trained part kept
beside the full weights in Format-Keras/, and a merged SavedModel."""
import json
import logging
import os
import types

import pytest
import tensorflow as tf

from kerasknow.config import RunConfig
from kerasknow.data.write_examples import split_file
from kerasknow.testing import run_example_gen
from kerasknow.tfx_module import CONFIG_KEY, run_fn
from kerasknow.training.train_context import TRAINING_SECTIONS

WORDS = {"sport": "goal match team win", "business": "market shares profit bank"}


@pytest.fixture()
def examples(tmp_path, tiny_bert_dir):
    data = tmp_path / "data.csv"
    rows = [f"{WORDS[label].split()[i % 4]} and more {label} words {i},{label}"
            for i in range(12) for label in WORDS]
    data.write_text("text,label\n" + "\n".join(rows) + "\n")
    config = RunConfig(task="text-classification", data=str(data), output=str(tmp_path / "out"),
                       model={"checkpoint": tiny_bert_dir, "max_seq_length": 16},
                       finetune={"strategy": "lora", "lora_rank": 2},
                       training={"epochs": 1, "batch_size": 8, "xla": "off", "mixed_precision": "off"})
    examples, _ = run_example_gen(config, str(tmp_path / "artifacts"))
    return config, examples


def test_run_fn_keeps_the_trained_part_and_exports_the_merged_model(examples, tmp_path, caplog):
    config, examples = examples
    serving = tmp_path / "model" / "Format-Serving"
    fn_args = types.SimpleNamespace(
        custom_config={CONFIG_KEY: config.to_json(TRAINING_SECTIONS)}, hyperparameters=None,
        train_files=[split_file(examples.uri, "train")], eval_files=[split_file(examples.uri, "eval")],
        model_run_dir=str(tmp_path / "run"), serving_model_dir=str(serving))
    with caplog.at_level(logging.INFO, logger="kerasknow.tfx_module"):
        run_fn(fn_args)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "Training: finetune lora:" in messages and "parameters trainable (" in messages
    assert "Merged 4 LoRA updates into their kernels for serving" in messages
    assert "Format-Keras: the trained part trainable.npz is" in messages

    keep = tmp_path / "model" / "Format-Keras"
    info = json.loads((keep / "trainable.json").read_text())
    assert info["base_checkpoint"] == config.model.checkpoint and info["finetune"]["strategy"] == "lora"
    assert info["bytes"] == os.path.getsize(keep / "trainable.npz") < info["full_model_bytes"] == os.path.getsize(
        keep / "weights.npz")
    training = json.loads((keep / "training.json").read_text())["finetune"]
    assert 0 < training["trainable_params"] < training["total_params"]
    assert 0 < training["trainable_fraction"] < 1
    saved = [name for name, _ in tf.train.list_variables(str(serving / "variables" / "variables"))]
    assert saved and not [name for name in saved if "lora" in name]
