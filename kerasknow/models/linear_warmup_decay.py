"""The BERT fine-tuning learning-rate schedule: linear warm-up, then linear decay to zero."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class LinearWarmupDecay(tf.keras.optimizers.schedules.LearningRateSchedule):
    """Rises linearly from 0 to `peak_learning_rate` over `warmup_steps`, then falls linearly
    to 0 at `total_steps` (and stays there).

    The recipe of the BERT paper and Hugging Face's `get_linear_schedule_with_warmup`.

    Args:
        peak_learning_rate: The learning rate reached at the end of warm-up; > 0.
        warmup_steps: Optimizer steps of warm-up; >= 0 and <= `total_steps`.
        total_steps: Optimizer steps of the whole run; > 0.

    Raises:
        ConfigError: For a non-positive rate or total, or a warm-up longer than the run.

    Example:

    >>> schedule = LinearWarmupDecay(1e-4, warmup_steps=10, total_steps=100)
    >>> round(float(schedule(4)), 6), round(float(schedule(55)), 6)
    (5e-05, 5e-05)
    """

    def __init__(self, peak_learning_rate: float, warmup_steps: int, total_steps: int):
        super().__init__()
        if not isinstance(peak_learning_rate, (int, float)) or peak_learning_rate <= 0:
            raise ConfigError(
                "`peak_learning_rate` must be a positive number. "
                f"Received: peak_learning_rate={peak_learning_rate!r}"
            )
        for name, value in (("warmup_steps", warmup_steps), ("total_steps", total_steps)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
        if total_steps < 1 or warmup_steps > total_steps:
            raise ConfigError(
                "`total_steps` must be >= 1 and >= `warmup_steps`. "
                f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}. "
                "Fix: total_steps = epochs * steps per epoch."
            )
        self.peak_learning_rate = float(peak_learning_rate)
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        peak = tf.constant(self.peak_learning_rate, tf.float32)
        warmup = tf.constant(float(self.warmup_steps), tf.float32)
        total = tf.constant(float(self.total_steps), tf.float32)
        # Step 0 of warm-up trains at peak/warmup, not 0, so no optimizer step is wasted.
        rising = peak * (step + 1.0) / tf.maximum(warmup, 1.0)
        falling = peak * (total - step) / tf.maximum(total - warmup, 1.0)
        rate = tf.where(step < warmup, rising, falling)
        return tf.clip_by_value(rate, 0.0, peak)

    def get_config(self) -> dict:
        # The base class's get_config is abstract (raises), so there is nothing to chain to.
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
        }
