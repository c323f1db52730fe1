"""Runs a task family's training phases one after another, as one training run."""
from typing import List

from kerasknow.errors import ConfigError
from kerasknow.training.training_phase import TrainingPhase


def fit_phases(model, phases: List[TrainingPhase], train_ds, eval_ds, callbacks: list, verbose: int = 2):
    """Fits `model` phase by phase; epochs count on across phases (TensorBoard shows one run).

    A phase with `prepare` gets its own `BackupAndRestore` folder (`<backup_dir>-<name>`): a
    checkpoint of one phase's optimizer cannot be restored into another's after a kill.

    Args:
        model: A compiled `tf.keras.Model`.
        phases: The phases, in order (`TaskFamily.phases`).
        train_ds: Training data.
        eval_ds: Validation data.
        callbacks: Callbacks for every phase.
        verbose: `model.fit` verbosity.

    Returns:
        The last phase's `History`, with `history.phases` holding every phase's, in order.

    Raises:
        ConfigError: For no phases, or a phase of fewer than one epoch.
    """
    import tensorflow as tf

    if not phases:
        raise ConfigError("A training run needs at least one phase. Received: phases=[]")
    for phase in phases:
        if phase.epochs < 1:
            raise ConfigError(f"Every training phase needs at least one epoch. Received: {phase.name} "
                              f"with epochs={phase.epochs}")
    histories = []
    epoch = 0
    for phase in phases:
        phase_callbacks = callbacks
        if phase.prepare is not None:
            phase.prepare(model)
            phase_callbacks = [
                tf.keras.callbacks.BackupAndRestore(backup_dir=f"{c.backup_dir}-{phase.name}", delete_checkpoint=True)
                if isinstance(c, tf.keras.callbacks.BackupAndRestore) else c for c in callbacks]
        if phase.description:
            tf.get_logger().info("Training phase %s: %s", phase.name, phase.description)
        history = model.fit(train_ds, validation_data=eval_ds, initial_epoch=epoch, epochs=epoch + phase.epochs,
                            callbacks=phase_callbacks, verbose=verbose)
        histories.append(history)
        epoch += phase.epochs
    histories[-1].phases = histories
    return histories[-1]
