"""What a training run shows in TensorBoard beyond Keras' per-epoch curves.

- `StepSummaries`: per-step scalars: the loss, the learning rate and the throughput.
- `write_hparams_session`: the trained model as a session of the HParams dashboard, with the
  hyperparameters it trained with, next to the tuner's trials.
- `EpochProgress`: kerasknow's progress bar (epochs, batches, loss) on the terminal.
"""
import time
from typing import Any, Dict, Optional

import tensorflow as tf

from kerasknow.progress import open_bar

#: The per-step scalar tags (TensorBoard's scalars dashboard groups them under `step/`).
STEP_TAGS = ("step/loss", "step/learning_rate", "step/steps_per_second", "step/examples_per_second")


def current_learning_rate(optimizer) -> Optional[float]:
    """The learning rate the optimizer applied at its last step (a schedule's value, too).

    Returns None when the optimizer holds no readable learning rate.
    """
    # tf.keras optimizers return a schedule's current value; legacy ones the schedule itself.
    lr = getattr(optimizer, "learning_rate", None)
    if callable(lr):
        lr = lr(optimizer.iterations)
    return None if lr is None else float(tf.keras.backend.get_value(lr))


class StepSummaries(tf.keras.callbacks.Callback):
    """Writes `STEP_TAGS` at every training step (the optimizer's global step).

    `step/loss` is the loss Keras reports after each batch (the running mean over the epoch so
    far, as its progress bar shows it); `step/steps_per_second` is measured between consecutive
    batch ends (input, step and callbacks together); `step/examples_per_second` multiplies it by
    the nominal `batch_size` (an epoch's last batch may be smaller).

    Args:
        logdir: The TensorBoard run folder's `train` sub-folder is written (Keras' own
            `epoch_*` curves sit in the same folder).
        batch_size: Examples per step, for the throughput.
    """

    def __init__(self, logdir: str, batch_size: int):
        super().__init__()
        self.logdir = logdir
        self.batch_size = batch_size
        self._writer = None
        self._last = None

    def on_train_begin(self, logs=None):
        self._writer = tf.summary.create_file_writer(self.logdir)

    def on_epoch_begin(self, epoch, logs=None):
        self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        seconds, self._last = now - (self._last or now), now
        step = int(tf.keras.backend.get_value(self.model.optimizer.iterations))
        with self._writer.as_default(step=step):
            if logs and "loss" in logs:
                tf.summary.scalar("step/loss", float(logs["loss"]))
            lr = current_learning_rate(self.model.optimizer)
            if lr is not None:
                tf.summary.scalar("step/learning_rate", lr)
            if seconds > 0:
                tf.summary.scalar("step/steps_per_second", 1.0 / seconds)
                tf.summary.scalar("step/examples_per_second", self.batch_size / seconds)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()


def write_hparams_session(logdir: str, hyperparameters: Dict[str, Any], session: str = "final model") -> None:
    """Makes `logdir` a session of TensorBoard's HParams dashboard with `hyperparameters`.

    Keras Tuner writes each trial the same way (its hyperparameter names are the ones the family
    declares), so the trained model shows in the same table as the trials, with the metrics
    of its `train` and `validation` sub-folders.

    Args:
        logdir: The training run's TensorBoard folder.
        hyperparameters: Name -> value (`keras_tuner.HyperParameters.values`).
        session: The session's trial id.
    """
    from tensorboard.plugins.hparams import api as hparams_api

    values = {k: v for k, v in hyperparameters.items() if isinstance(v, (bool, int, float, str))}
    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default():
        hparams_api.hparams(values, trial_id=session)
    writer.close()


class EpochProgress(tf.keras.callbacks.Callback):
    """A terminal progress bar per epoch: batches done (of the epoch's count, once known) and the loss.

    Args:
        label: Put before `epoch i/n` (the tuner sets `trial 1/2`).
    """

    def __init__(self, label: str = ""):
        super().__init__()
        self.label = label
        self._bar = None
        self._steps = None

    def on_train_begin(self, logs=None):
        self._steps = self.params.get("steps") or self._steps

    def on_epoch_begin(self, epoch, logs=None):
        name = f"epoch {epoch + 1}/{self.params.get('epochs', '?')}"
        self._bar = open_bar(f"{self.label} {name}".strip(), self._steps, "batches")

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        self._bar.update(1, None if loss is None else f"loss {float(loss):.4f}")

    def on_epoch_end(self, epoch, logs=None):
        # A tf.data input of unknown size: the first epoch's count is every later epoch's total.
        self._steps = self._steps or self._bar.n
        self._bar.close()
