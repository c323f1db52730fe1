"""LinearWarmupDecay: linear warm-up, then linear decay to zero."""
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.linear_warmup_decay import LinearWarmupDecay


def test_rises_then_falls_to_zero():
    schedule = LinearWarmupDecay(1e-4, warmup_steps=10, total_steps=100)
    rates = [float(schedule(step)) for step in (0, 4, 9, 10, 55, 100, 150)]
    assert rates == pytest.approx([1e-5, 5e-5, 1e-4, 1e-4, 5e-5, 0.0, 0.0])


def test_no_warmup_starts_at_peak():
    schedule = LinearWarmupDecay(2e-5, warmup_steps=0, total_steps=4)
    assert [float(schedule(s)) for s in range(5)] == pytest.approx([2e-5, 1.5e-5, 1e-5, 5e-6, 0.0])


def test_config_round_trip_through_keras_serialization():
    schedule = LinearWarmupDecay(3e-5, warmup_steps=3, total_steps=30)
    restored = tf.keras.optimizers.schedules.deserialize(
        tf.keras.optimizers.schedules.serialize(schedule))
    assert isinstance(restored, LinearWarmupDecay)
    assert restored.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    "args, match",
    [
        ((0.0, 0, 10), "`peak_learning_rate` must be a positive number. Received: peak_learning_rate=0.0"),
        ((1e-4, -1, 10), "`warmup_steps` must be an int >= 0. Received: warmup_steps=-1"),
        ((1e-4, 20, 10), "Received: warmup_steps=20, total_steps=10"),
        ((1e-4, 0, 0), "`total_steps` must be >= 1"),
    ],
)
def test_bad_arguments_raise(args, match):
    with pytest.raises(ConfigError, match=match):
        LinearWarmupDecay(*args)
