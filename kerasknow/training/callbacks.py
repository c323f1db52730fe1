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


def training_callbacks(ctx: TrainContext, monitor: str = "val_loss") -> List:
    """Early stopping, resumable checkpoints and TensorBoard into the Trainer's run directory.

    Args:
        ctx: The training context (config, run directory).
        monitor: The validation metric early stopping watches.

    Returns:
        A list of `tf.keras.callbacks.Callback`.
    """
    import tensorflow as tf

    callbacks = [
        tf.keras.callbacks.BackupAndRestore(backup_dir=backup_dir_for(ctx), delete_checkpoint=True),
        tf.keras.callbacks.TensorBoard(log_dir=ctx.model_run_dir, update_freq="epoch"),
    ]
    patience = ctx.config.training.early_stopping_patience
    if patience > 0:
        callbacks.append(tf.keras.callbacks.EarlyStopping(monitor=monitor, patience=patience,
                                                          restore_best_weights=True))
    return callbacks


def fit_verbosity() -> int:
    """A progress bar on a terminal, one line per epoch in logs."""
    return 1 if sys.stdout.isatty() else 2
