"""The callbacks every kerasknow training run uses."""
import hashlib
import json
import os
import sys
from typing import List

from kerasknow.training.train_context import TRAINING_SECTIONS, TrainContext


def backup_dir_for(ctx: TrainContext) -> str:
    """A directory that is the same for a rerun of the same training, so a killed run resumes.

    TFX gives each Trainer execution a new `model_run_dir`; `BackupAndRestore` needs a place that
    survives the kill, so it lives under the run's output folder, keyed by what defines the
    training (data files, hyperparameters, config).
    """
    key = json.dumps([ctx.train_files, ctx.eval_files, ctx.hyperparameters, ctx.config.to_dict(TRAINING_SECTIONS)],
                     sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return os.path.join(ctx.config.output, "backup", f"{ctx.config.task}-{digest}")


def training_callbacks(ctx: TrainContext, monitor: str = "val_loss", early_stopping_start: int = 0) -> List:
    """Early stopping, resumable checkpoints, TensorBoard and kerasknow's progress bar.

    TensorBoard gets `<output>/tensorboard/<run>/training`: Keras' per-epoch curves in `train/`
    and `validation/`, and per-step loss, learning rate and throughput
    (`kerasknow.training.training_board.StepSummaries`) in `train/`.

    Args:
        ctx: The training context (config, run id).
        monitor: The validation metric early stopping watches.
        early_stopping_start: Epochs that pass before early stopping may stop the run, or keep
            an earlier epoch's weights (`TaskFamily.early_stopping_start`).

    Returns:
        A list of `tf.keras.callbacks.Callback`.
    """
    import tensorflow as tf

    from kerasknow.training.training_board import EpochProgress, StepSummaries

    logdir = ctx.tensorboard_dir("training")
    callbacks = [
        tf.keras.callbacks.BackupAndRestore(backup_dir=backup_dir_for(ctx), delete_checkpoint=True),
        tf.keras.callbacks.TensorBoard(log_dir=logdir, update_freq="epoch"),
        StepSummaries(os.path.join(logdir, "train"), ctx.config.training.batch_size),
        EpochProgress(),
    ]
    patience = ctx.config.training.early_stopping_patience
    if patience > 0:
        callbacks.append(tf.keras.callbacks.EarlyStopping(monitor=monitor, patience=patience,
                                                          restore_best_weights=True,
                                                          start_from_epoch=early_stopping_start))
    return callbacks


def fit_verbosity() -> int:
    """A progress bar on a terminal, one line per epoch in logs."""
    return 1 if sys.stdout.isatty() else 2
