import tensorflow as tf

from kerasknow.config import RunConfig
from kerasknow.training.train_context import TrainContext
from kerasknow.training.callbacks import backup_dir_for, training_callbacks


def _ctx(tmp_path, **overrides):
    values = dict(config=RunConfig(output=str(tmp_path / "out")), labels=["a", "b"], train_files=["t.gz"],
                  eval_files=["e.gz"], model_run_dir=str(tmp_path / "run"), serving_model_dir="",
                  hyperparameters={"learning_rate": 1e-4})
    values.update(overrides)
    return TrainContext(**values)


def test_backup_dir_is_stable_across_reruns_and_differs_with_the_training(tmp_path):
    first = backup_dir_for(_ctx(tmp_path))
    assert first == backup_dir_for(_ctx(tmp_path, model_run_dir=str(tmp_path / "another-run")))
    assert first.startswith(str(tmp_path / "out" / "backup" / "text-classification-"))
    assert first != backup_dir_for(_ctx(tmp_path, hyperparameters={"learning_rate": 5e-5}))
    assert first != backup_dir_for(_ctx(tmp_path, train_files=["other.gz"]))


def test_callbacks_resume_log_and_stop_early(tmp_path):
    from kerasknow.training.training_board import EpochProgress, StepSummaries

    ctx = _ctx(tmp_path, run_id="20260314-102233")
    callbacks = training_callbacks(ctx)
    assert [type(c) for c in callbacks] == [tf.keras.callbacks.BackupAndRestore, tf.keras.callbacks.TensorBoard,
                                            StepSummaries, EpochProgress, tf.keras.callbacks.EarlyStopping]
    # TensorBoard's run is named by the pipeline run and what it is, not by a TFX execution number.
    board = tmp_path / "out" / "tensorboard" / "20260314-102233" / "training"
    assert callbacks[1].log_dir == str(board) and callbacks[2].logdir == str(board / "train")
    no_early = _ctx(tmp_path, config=RunConfig(output=str(tmp_path / "out"), training={"early_stopping_patience": 0}))
    assert tf.keras.callbacks.EarlyStopping not in [type(c) for c in training_callbacks(no_early)]


def test_killed_training_resumes_from_the_backup(tmp_path):
    """A run killed in epoch 2 restarts at epoch 2 with epoch 1's weights, then removes the backup."""
    import numpy as np

    ctx = _ctx(tmp_path, config=RunConfig(output=str(tmp_path / "out"), training={"early_stopping_patience": 0}))
    x = np.random.RandomState(0).rand(32, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")

    def model():
        tf.keras.utils.set_random_seed(0)
        m = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
        m.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    class Kill(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    first = model()
    try:
        first.fit(x, y, epochs=3, verbose=0, callbacks=training_callbacks(ctx) + [Kill()])
    except KeyboardInterrupt:
        pass
    assert [f for _, _, files in tf.io.gfile.walk(backup_dir_for(ctx)) for f in files]
    epochs = []
    second = model()
    second.fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=training_callbacks(ctx) + [
        tf.keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: epochs.append(e))])
    assert epochs == [1, 2]
    # After a finished fit the checkpoints are gone (an empty folder may stay).
    assert not [f for _, _, files in tf.io.gfile.walk(backup_dir_for(ctx)) for f in files]


def test_early_stopping_waits_the_epochs_it_is_given(tmp_path):
    """Validation labels opposite to the training labels: the validation loss rises every epoch."""
    import numpy as np

    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")

    def epochs_trained(start, name):
        tf.keras.utils.set_random_seed(0)
        m = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
        m.compile(tf.keras.optimizers.SGD(0.5), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        ctx = _ctx(tmp_path / name)
        callbacks = training_callbacks(ctx, early_stopping_start=start)
        assert callbacks[-1].start_from_epoch == start
        history = m.fit(x, y, epochs=6, verbose=0, validation_data=(x, 1 - y), callbacks=callbacks)
        assert all(b > a for a, b in zip(history.history["val_loss"], history.history["val_loss"][1:]))
        return len(history.epoch)

    # Patience 1: the first worse epoch stops the run, unless it comes before the start.
    assert epochs_trained(0, "at-once") == 2
    assert epochs_trained(3, "waits") == 5
    assert epochs_trained(6, "never") == 6
