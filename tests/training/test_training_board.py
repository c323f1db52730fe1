"""Per-step curves, the HParams session of the trained model, trial names and the epoch progress bar."""
import io
import os

import numpy as np
import pytest
import tensorflow as tf

from kerasknow import progress
from kerasknow.models.linear_warmup_decay import LinearWarmupDecay
from kerasknow.training.training_board import EpochProgress, StepSummaries, write_hparams_session


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _data(n=32):
    x = np.random.RandomState(0).rand(n, 4).astype("float32")
    return x, (x.sum(axis=1) > 2).astype("int32")


def _model(learning_rate=0.1):
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    model.compile(tf.keras.optimizers.SGD(learning_rate),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _series(logdir):
    """tag -> [(step, value)] of the scalars in a run folder."""
    series = {}
    for name in sorted(os.listdir(logdir)):
        if name.startswith("events.out.tfevents."):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, name)):
                for v in event.summary.value:
                    series.setdefault(v.tag, []).append((event.step, float(tf.make_ndarray(v.tensor))))
    return series


def test_step_summaries_write_loss_learning_rate_and_throughput_at_every_step(tmp_path):
    x, y = _data(32)
    schedule = LinearWarmupDecay(0.1, warmup_steps=2, total_steps=8)
    model = _model(schedule)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[StepSummaries(str(tmp_path), batch_size=8)])
    series = _series(str(tmp_path))
    assert set(series) == {"step/loss", "step/learning_rate", "step/steps_per_second", "step/examples_per_second"}
    assert [s for s, _ in series["step/loss"]] == list(range(1, 9))  # 4 batches x 2 epochs, the global step
    # The learning rate of each step is the schedule's, as the optimizer applied it.
    for step, lr in series["step/learning_rate"]:
        assert lr == pytest.approx(float(schedule(step - 1)), rel=1e-5), step
    for (_, steps), (_, examples) in zip(series["step/steps_per_second"], series["step/examples_per_second"]):
        assert examples == pytest.approx(8 * steps)


def test_the_trained_model_is_an_hparams_session_with_its_hyperparameters(tmp_path):
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    write_hparams_session(str(tmp_path), {"learning_rate": 1e-4, "dropout": 0.1, "not_a_value": [1, 2]},
                          "20260314-102233 final model")
    found = []
    for name in os.listdir(tmp_path):
        for event in tf.compat.v1.train.summary_iterator(str(tmp_path / name)):
            for v in event.summary.value:
                if v.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                    found.append(plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content))
    starts = [d.session_start_info for d in found if d.HasField("session_start_info")]
    assert len(starts) == 1 and starts[0].group_name == "20260314-102233 final model"
    assert {k: v.number_value for k, v in starts[0].hparams.items()} == pytest.approx(
        {"learning_rate": 1e-4, "dropout": 0.1})


def test_epoch_progress_draws_batches_of_each_epoch_on_a_terminal_only():
    x, y = _data(32)
    terminal = _Terminal()
    progress.attach(progress.Console(terminal, min_interval=0.0))
    try:
        _model().fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[EpochProgress("trial 1/2")])
    finally:
        progress.detach()
    drawn = terminal.getvalue()
    assert "trial 1/2 epoch 1/2 [" in drawn and "4/4 batches  loss " in drawn and "trial 1/2 epoch 2/2" in drawn
    quiet = io.StringIO()  # not a terminal: no bars, nothing written
    progress.attach(progress.Console(quiet))
    try:
        _model().fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[EpochProgress()])
    finally:
        progress.detach()
    assert quiet.getvalue() == ""


def test_tuner_trials_are_named_for_tensorboard_with_their_hparams_and_progress_label(tmp_path):
    import keras_tuner

    from kerasknow.training.knowledge_tuner import KnowledgeTuner

    x, y = _data(32)
    labels = []

    class Spy(EpochProgress):
        def on_train_begin(self, logs=None):
            labels.append(self.label)
            super().on_train_begin(logs)

    def build(hp):
        return _model(hp.Choice("learning_rate", [0.1, 0.01]))

    oracle = keras_tuner.oracles.RandomSearchOracle(keras_tuner.Objective("val_loss", "min"), max_trials=2, seed=0)
    tuner = KnowledgeTuner(oracle, build, directory=str(tmp_path / "work"), project_name="p", overwrite=True,
                           session_prefix="20260314-102233")
    board = tf.keras.callbacks.TensorBoard(log_dir=str(tmp_path / "tuning"))
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[board, Spy()])
    assert sorted(os.listdir(tmp_path / "tuning")) == ["trial-0", "trial-1"]
    assert labels == ["trial 1/2", "trial 2/2"]
    # Each trial is an HParams session named by the run and the trial, so runs do not share sessions.
    assert _session_names(tmp_path / "tuning" / "trial-1") == ["20260314-102233 trial-1"]


def _session_names(logdir):
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    names = []
    for name in os.listdir(logdir):
        path = os.path.join(logdir, name)
        if name.startswith("events.out.tfevents."):
            for event in tf.compat.v1.train.summary_iterator(path):
                for v in event.summary.value:
                    if v.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                        data = plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                        if data.HasField("session_start_info"):
                            names.append(data.session_start_info.group_name)
    return names
