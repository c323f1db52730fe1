"""BottleneckAdapter: near the identity at the start, a residual bottleneck after its inner layer."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.bottleneck_adapter import BottleneckAdapter


def test_starts_near_the_identity_after_its_inner_layer():
    tf.keras.utils.set_random_seed(0)
    adapter = BottleneckAdapter(4, inner=tf.keras.layers.Dropout(0.5))
    x = tf.random.stateless_normal([2, 3, 8], seed=[0, 1])
    out = adapter(x, training=False).numpy()  # dropout is off outside training
    assert 0 < np.abs(out - x.numpy()).max() < 1e-2
    assert adapter.down.kernel.shape == (8, 4) and adapter.up.kernel.shape == (4, 8)
    assert len(adapter.trainable_weights) == 4


def test_zero_init_is_exactly_the_identity():
    adapter = BottleneckAdapter(2, init_stddev=0.0)
    x = tf.ones([1, 5])
    np.testing.assert_array_equal(adapter(x).numpy(), x.numpy())


def test_config_round_trip():
    adapter = BottleneckAdapter(4, inner=tf.keras.layers.Dropout(0.2, name="d"), activation="relu",
                                init_stddev=0.01, name="adapter")
    config = adapter.get_config()
    assert (config["size"], config["activation"], config["init_stddev"]) == (4, "relu", 0.01)
    clone = tf.keras.layers.deserialize(tf.keras.layers.serialize(adapter))
    assert isinstance(clone, BottleneckAdapter) and clone.get_config() == config
    assert clone.inner.rate == 0.2
    assert clone(tf.ones([1, 6])).shape == (1, 6)


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 0}, r"`size` must be an int >= 1. Received: size=0"),
    ({"size": 4, "init_stddev": -1.0}, r"`init_stddev` must be a number >= 0. Received: init_stddev=-1.0"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        BottleneckAdapter(**kwargs)
