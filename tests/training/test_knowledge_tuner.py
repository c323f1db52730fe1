"""KnowledgeTuner on Keras Tuner's oracles: the time budget, Hyperband's epochs, trial HParams."""
import os

import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.training.knowledge_tuner import KnowledgeTuner
from kerasknow.training.search_oracle import search_oracle


def _data(n=64):
    x = np.random.RandomState(0).rand(n, 4).astype("float32")
    return x, (x.sum(axis=1) > 2).astype("int32")


class _Clock:
    """The oracle's clock, moved on by the trials: budgets tested without timing anything."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class _HyperModel(keras_tuner.HyperModel):
    def __init__(self, clock=None, trial_s=0.0):
        super().__init__()
        self.clock, self.trial_s = clock, trial_s
        self.fits = []

    def build(self, hp):
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(hp.Choice("units", [2, 4, 8, 16])),
                                     tf.keras.layers.Dense(2)])
        model.compile(tf.keras.optimizers.SGD(hp.Choice("learning_rate", [0.1, 0.01, 0.001])),
                      tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        return model

    def fit(self, hp, model, *args, **kwargs):
        if self.clock:
            self.clock.now += self.trial_s
        self.fits.append((kwargs.get("initial_epoch", 0), kwargs["epochs"]))
        return model.fit(*args, **kwargs)


def _tuner(tmp_path, oracle, hypermodel, **kwargs):
    return KnowledgeTuner(oracle, hypermodel, directory=str(tmp_path / "work"), project_name="p", overwrite=True,
                          **kwargs)


def test_the_time_budget_stops_the_search_and_keeps_the_best_trial_so_far(tmp_path, monkeypatch):
    from kerasknow.training import search_oracle as module

    clock = _Clock()
    monkeypatch.setattr(module, "time", clock)
    x, y = _data()
    oracle = search_oracle("random", "val_accuracy", trials=10, seed=0, time_budget_s=25.0)
    tuner = _tuner(tmp_path, oracle, _HyperModel(clock, trial_s=10.0))
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    done = [t for t in oracle.trials.values() if t.status == "COMPLETED"]
    # Trials start at 0, 10 and 20 s; at 30 s the budget is spent and the oracle stops every tuner.
    assert len(done) == len(oracle.trials) == 3 and oracle.stopped_by == "time_budget_s"
    best = max(done, key=lambda t: t.score)
    assert tuner.get_best_hyperparameters()[0].values == best.hyperparameters.values


@pytest.mark.parametrize("algorithm", ["random", "bayesian"])
def test_algorithms_run_at_most_the_trials_asked_for(tmp_path, algorithm):
    x, y = _data()
    oracle = search_oracle(algorithm, "val_accuracy", trials=3, seed=0)
    tuner = _tuner(tmp_path, oracle, _HyperModel())
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert len(oracle.trials) == 3 and oracle.stopped_by is None


def test_hyperband_trials_train_from_their_initial_epoch_to_their_epochs(tmp_path):
    x, y = _data()
    hypermodel = _HyperModel()
    # max_epochs 3, factor 3: a bracket of 3 one-epoch trials, the best continued to 3, then 2 of 3 epochs.
    oracle = search_oracle("hyperband", "val_accuracy", trials=5, epochs=3, seed=0)
    tuner = _tuner(tmp_path, oracle, hypermodel)
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    trials = list(oracle.trials.values())
    assert len(trials) == 5  # tuning.trials caps Hyperband too
    fits = [(t.hyperparameters.values["tuner/initial_epoch"], t.hyperparameters.values["tuner/epochs"]) for t in
            sorted(trials, key=lambda t: t.trial_id)]
    assert hypermodel.fits == fits
    # Hyperband's brackets: short trials first, the best continued to max_epochs from its checkpoint.
    assert {e for _, e in fits} == {1, 3} and any(start > 0 for start, _ in fits)
    assert max(e for _, e in fits) == 3


def test_a_trial_is_an_hparams_session_with_its_active_values_and_curves(tmp_path):
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    x, y = _data()
    oracle = search_oracle("random", "val_accuracy", trials=2, seed=0)
    tuner = _tuner(tmp_path, oracle, _HyperModel(), session_prefix="run1")
    board = tf.keras.callbacks.TensorBoard(log_dir=str(tmp_path / "tuning"))
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0, callbacks=[board])
    for trial in oracle.trials.values():
        logdir = tmp_path / "tuning" / f"trial-{trial.trial_id}"
        sessions, tags = {}, set()
        for root, _, files in os.walk(logdir):
            for name in files:
                for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                    for v in event.summary.value:
                        tags.add(v.tag)
                        if v.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME:
                            data = plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                            if data.HasField("session_start_info"):
                                info = data.session_start_info
                                sessions[info.group_name] = {k: p.number_value for k, p in info.hparams.items()}
        assert sessions == {f"run1 trial-{trial.trial_id}": pytest.approx(trial.hyperparameters.values)}
        assert {"epoch_loss", "epoch_accuracy"} <= tags


def test_a_process_share_of_trials_ends_its_search_and_leaves_no_trial_running(tmp_path):
    """`trials_per_process`: the search ends before asking for one trial too many; the next
    search (a fresh worker's, here the same tuner's) takes the oracle's remaining trials."""
    x, y = _data()
    oracle = search_oracle("random", "val_accuracy", trials=5, seed=0)
    tuner = _tuner(tmp_path, oracle, _HyperModel())
    tuner.trials_per_process = 2
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert len(oracle.trials) == 2 and not oracle.ongoing_trials
    tuner.trials_run.clear()
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    tuner.trials_run.clear()
    tuner.search(x, y, validation_data=(x, y), epochs=1, verbose=0)
    assert len(oracle.trials) == 5 and all(t.status == "COMPLETED" for t in oracle.trials.values())
