"""A cosine learning-rate decay over each training phase (`image_demo_sizing --schedule cosine`).

Measured for the image demo and not adopted: on 10,000 Fashion-MNIST images at 128 px it ended at
0.867 where the constant rate ended at 0.874-0.875 (docs/images.md, "Demo sizing").
"""
import math

import tensorflow as tf


class PhaseCosineDecay(tf.keras.callbacks.Callback):
    """Decays the learning rate along a cosine within every `fit()` (every training phase).

    Each phase is compiled at its own constant rate (the image family's second phase at a
    tenth of the first's), so a schedule object built at compile time would have to know the
    phases in advance. This callback reads the rate the phase starts at, sets
    `rate x (alpha + (1 - alpha) x (1 + cos(pi x t)) / 2)` before every batch, where `t` runs
    from 0 to 1 over the phase's steps, and puts the starting rate back when the phase ends, so
    the next phase's "a tenth of the learning rate" is a tenth of the starting rate, not of the
    decayed one. A phase resumed by `BackupAndRestore` restarts its decay at the resumed epoch.

    Tried because at a constant 2e-3 the frozen-backbone phase's validation accuracy moved up and down by
    about 2 points from epoch to epoch on Fashion-MNIST (docs/images.md), so where a phase
    stopped decided the result; decaying within the phase settles it.

    Args:
        steps_per_epoch: Optimizer steps of one epoch (batches of the train split).
        alpha: The last step's rate as a fraction of the phase's starting rate, in [0, 1].

    Raises:
        ValueError: For `steps_per_epoch < 1` or `alpha` outside [0, 1].

    Example:

    >>> decay = PhaseCosineDecay(steps_per_epoch=10, alpha=0.1)
    >>> round(decay.factor(0, 20), 3), round(decay.factor(10, 20), 3), round(decay.factor(20, 20), 3)
    (1.0, 0.55, 0.1)
    """

    def __init__(self, steps_per_epoch: int, alpha: float = 0.0):
        super().__init__()
        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be at least 1. Received: steps_per_epoch={steps_per_epoch!r}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1]. Received: alpha={alpha!r}")
        self.steps_per_epoch = int(steps_per_epoch)
        self.alpha = float(alpha)
        self._start_rate = None
        self._first_epoch = None
        self._epoch = 0

    def factor(self, step: int, total_steps: int) -> float:
        """The fraction of the phase's starting rate at `step` of `total_steps`."""
        t = min(1.0, step / max(1, total_steps))
        return self.alpha + (1.0 - self.alpha) * 0.5 * (1.0 + math.cos(math.pi * t))

    def on_train_begin(self, logs=None):
        self._start_rate = float(tf.keras.backend.get_value(self.model.optimizer.learning_rate))
        self._first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        epochs = self.params.get("epochs", self._epoch + 1) - self._first_epoch
        step = (self._epoch - self._first_epoch) * self.steps_per_epoch + batch
        rate = self._start_rate * self.factor(step, epochs * self.steps_per_epoch)
        tf.keras.backend.set_value(self.model.optimizer.learning_rate, rate)

    def on_train_end(self, logs=None):
        tf.keras.backend.set_value(self.model.optimizer.learning_rate, self._start_rate)
