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
    # Without a search (--no-tune) the trained model is still an HParams session with the values it trained with
    # (lora's own default learning rate: TaskSpec.strategy_learning_rates).
    sessions, tags = _events(str(tmp_path / "out" / "tensorboard" / "training"))
    assert sessions == {"final model": pytest.approx(
        {"finetune_strategy": "lora", "learning_rate": 2e-3, "lora_rank": 2, "dropout": 0.1})}
    assert "validation/epoch_accuracy" in tags


def _events(logdir):
    """The HParams sessions (name -> hyperparameters) and scalar tags of a TensorBoard run folder, read back."""
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    sessions, tags = {}, set()
    for root, _, files in os.walk(logdir):
        for name in files:
            if not name.startswith("events.out.tfevents."):
                continue
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                for v in event.summary.value:
                    if v.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                        data = plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                        if data.HasField("session_start_info"):
                            info = data.session_start_info
                            sessions[info.group_name] = {
                                k: (p.string_value if p.HasField("string_value") else p.number_value)
                                for k, p in info.hparams.items()}
                    else:
                        tags.add(f"{os.path.relpath(root, logdir)}/{v.tag}")
    return sessions, tags


def _tuner_args(config, examples, tmp_path, run_id="20261202-0100"):
    from kerasknow.tfx_module import RUN_ID_KEY

    return types.SimpleNamespace(
        custom_config={CONFIG_KEY: config.to_json(TRAINING_SECTIONS), RUN_ID_KEY: run_id},
        train_files=[split_file(examples.uri, "train")], eval_files=[split_file(examples.uri, "eval")],
        working_dir=str(tmp_path / "tuner"))


def _keys(files):
    from kerasknow.data.example_codec import decode_example

    return [decode_example(raw)["text"][0] for raw in
            tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator()]


def test_tuner_fn_searches_strategies_on_a_validation_split_carved_from_train(examples, tmp_path):
    import dataclasses

    from kerasknow.tfx_module import tuner_fn
    from kerasknow.training.search_space import SearchSpace

    config, examples = examples
    config = dataclasses.replace(config, tuning=dataclasses.replace(
        config.tuning, strategies=["full", "lora"], lora_ranks=[2, 4], trials=3, max_examples=0,
        learning_rates={"lora": [1e-3]}))
    fn_args = _tuner_args(config, examples, tmp_path)
    result = tuner_fn(fn_args)
    result.tuner.search(**result.fit_kwargs)

    # The trials train and score on the carved halves of the train split; the eval split is never read.
    split = tmp_path / "tuner" / "tuning_split"
    train, validation = _keys([split_file(str(split), "train")]), _keys([split_file(str(split), "validation")])
    original_train, evaluation = _keys(fn_args.train_files), _keys(fn_args.eval_files)
    assert validation and train and sorted(train + validation) == sorted(original_train)
    assert not set(validation) & set(evaluation)

    trials = list(result.tuner.oracle.trials.values())
    assert len(trials) == 3
    for trial in trials:
        values = trial.hyperparameters.values
        assert values["finetune_strategy"] in ("full", "lora")
        # lora_rank is a lora trial's only; a lora trial's learning rate comes from its own range.
        if values["finetune_strategy"] == "lora":
            assert values["lora_rank"] in (2, 4) and values["learning_rate_lora"] == 1e-3
            assert "learning_rate_full" not in values
        else:
            assert values["learning_rate_full"] in (1e-4, 5e-5)
            assert "lora_rank" not in values and "learning_rate_lora" not in values
            with pytest.raises(ValueError, match="lora_rank is currently inactive"):
                trial.hyperparameters.get("lora_rank")
            # What the family builds from: the inactive rank is None, the trial's finetune section keeps its own.
            assert SearchSpace(config.spec, config).declare(trial.hyperparameters)["lora_rank"] is None
    assert {t.hyperparameters.values["finetune_strategy"] for t in trials} == {"full", "lora"}

    # Every trial is a TensorBoard run and an HParams session with its strategy and what it tuned.
    sessions, tags = _events(str(tmp_path / "out" / "tensorboard" / "20261202-0100" / "tuning"))
    for trial in trials:
        name = f"20261202-0100 trial-{trial.trial_id}"
        assert sessions[name] == pytest.approx(trial.hyperparameters.values), name
        assert f"trial-{trial.trial_id}/validation/epoch_accuracy" in tags


def test_parallel_trials_run_in_two_keras_tuner_workers_served_by_the_chief_oracle(examples, tmp_path):
    """Two workers, each process replaced after one trial (`trials_per_process: 1`)."""
    import dataclasses

    from kerasknow.tfx_module import tuner_fn

    config, examples = examples
    config = dataclasses.replace(config, tuning=dataclasses.replace(
        config.tuning, strategies=["full", "lora"], trials=3, max_examples=0, parallel_trials=2,
        trials_per_process=1))
    result = tuner_fn(_tuner_args(config, examples, tmp_path))
    result.tuner.search(**result.fit_kwargs)

    oracle = result.tuner.oracle
    trials = list(oracle.trials.values())
    assert len(trials) == 3 and all(t.status == "COMPLETED" and t.score is not None for t in trials)
    # Each worker ran trials the chief's oracle handed it; together, every trial once.
    ran = result.tuner.parallel.trials_by_worker()
    assert set(ran) == {"worker0", "worker1"} and all(ran.values())
    assert sorted(ran["worker0"] + ran["worker1"]) == sorted(t.trial_id for t in trials)
    # No process ran more than its one trial: 3 trials took at least 3 processes (a 4th may
    # have started only to hear the oracle stop), each with its peak memory recorded.
    records = result.tuner.parallel.records()
    assert all(len(r["trials"]) <= 1 for r in records) and sum(len(r["trials"]) for r in records) == 3
    assert result.tuner.parallel.processes_started in (3, 4) and len(records) == result.tuner.parallel.processes_started
    assert all(r["peak_rss_mb"] > 100 for r in records)  # a TensorFlow process: hundreds of MB
    # The best hyperparameters are the oracle's: its best-scored trial, what TFX's executor writes.
    best = max(trials, key=lambda t: t.score)
    assert result.tuner.get_best_hyperparameters()[0].values == best.hyperparameters.values
    assert (tmp_path / "tuner" / "workers" / "worker0.log").exists()
