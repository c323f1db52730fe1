"""Keras Tuner's random search with trials named for TensorBoard and kerasknow's progress bar."""
import os

import keras_tuner

from kerasknow.training.training_board import EpochProgress


class RandomSearch(keras_tuner.RandomSearch):
    """`keras_tuner.RandomSearch` whose trials log to `<logdir>/trial-<id>` (Keras Tuner's own
    layout is `<logdir>/<id>/execution0`) as HParams sessions named `<session_prefix> trial-<id>`,
    and whose `EpochProgress` bars say `trial i/n`.

    Keras Tuner names a trial's HParams session by its trial id alone, so the trials of every run
    in one TensorBoard logdir would share sessions `0`, `1`, ...; the prefix (the pipeline run id)
    keeps each run's trials apart.

    Args:
        session_prefix: Put before each trial's HParams session name.
        *args, **kwargs: `keras_tuner.RandomSearch`'s.
    """

    def __init__(self, *args, session_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.session_prefix = session_prefix

    def _get_tensorboard_dir(self, logdir, trial_id, execution):
        name = f"trial-{trial_id}" + (f"-execution{execution}" if execution else "")
        return os.path.join(str(logdir), name)

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        # Keras Tuner 1.3.5's own method, with the session named by the run as well as the trial.
        from keras_tuner.engine import tuner_utils
        from tensorboard.plugins.hparams import api as hparams_api

        for callback in list(callbacks):
            if callback.__class__.__name__ == "TensorBoard":
                callback.log_dir = self._get_tensorboard_dir(callback.log_dir, trial.trial_id, execution)
                session = f"{self.session_prefix} {os.path.basename(callback.log_dir)}".strip()
                callbacks.append(hparams_api.KerasCallback(
                    writer=callback.log_dir, hparams=tuner_utils.convert_hyperparams_to_hparams(trial.hyperparameters),
                    trial_id=session))
            elif isinstance(callback, EpochProgress):
                number = int(trial.trial_id) + 1 if str(trial.trial_id).isdigit() else trial.trial_id
                callback.label = f"trial {number}/{self.oracle.max_trials}"
