"""LoRADense: starts equal to its Dense layer, trains only A and B, merges exactly, round-trips its config."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.lora_dense import LoRADense


def _dense(units_in=6, units_out=4, seed=0):
    tf.keras.utils.set_random_seed(seed)
    dense = tf.keras.layers.Dense(units_out, name="query")
    dense.build((None, units_in))
    return dense


def test_starts_equal_to_the_base_and_trains_only_the_update():
    dense = _dense()
    x = tf.random.stateless_normal([3, 5, 6], seed=[0, 1])
    expected = dense(x)
    lora = LoRADense(dense, rank=2, alpha=4.0)
    np.testing.assert_array_equal(lora(x).numpy(), expected.numpy())
    assert [w.name for w in lora.trainable_weights] == ["lora_query/lora_a:0", "lora_query/lora_b:0"]
    assert {w.name.split("/")[-1] for w in lora.non_trainable_weights} == {"kernel:0", "bias:0"}
    assert not lora.base.trainable
    assert lora.scale == 2.0


def test_merged_kernel_computes_the_same_outputs():
    dense = _dense()
    lora = LoRADense(dense, rank=3, alpha=6.0)
    lora.lora_b.assign(tf.random.stateless_normal(lora.lora_b.shape, seed=[0, 2]))
    x = tf.random.stateless_normal([4, 6], seed=[0, 3])
    wrapped = lora(x).numpy()
    merged = (tf.matmul(x, lora.merged_kernel()) + dense.bias).numpy()
    np.testing.assert_allclose(merged, wrapped, atol=1e-5)
    assert np.abs(wrapped - dense(x).numpy()).max() > 1e-3  # the update does change the outputs


def test_config_round_trip():
    lora = LoRADense(_dense(), rank=2, alpha=8.0, dropout=0.1, name="lora_q")
    config = lora.get_config()
    assert (config["rank"], config["alpha"], config["dropout"], config["name"]) == (2, 8.0, 0.1, "lora_q")
    clone = tf.keras.layers.deserialize(tf.keras.layers.serialize(lora))
    assert isinstance(clone, LoRADense) and clone.get_config() == config
    assert isinstance(clone.base, tf.keras.layers.Dense) and clone.base.units == 4
    clone.build((None, 6))
    assert clone.lora_a.shape == (6, 2) and clone.lora_b.shape == (2, 4)


@pytest.mark.parametrize("kwargs, message", [
    ({"rank": 0}, r"`rank` must be an int >= 1. Received: rank=0"),
    ({"alpha": 0}, r"`alpha` must be a positive number. Received: alpha=0"),
    ({"dropout": 1.0}, r"`dropout` must be a number in \[0, 1\). Received: dropout=1.0"),
])
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LoRADense(_dense(), **kwargs)


def test_wraps_only_dense_layers():
    with pytest.raises(ConfigError, match=r"LoRADense wraps a tf.keras.layers.Dense. Received: base=Dropout"):
        LoRADense(tf.keras.layers.Dropout(0.1))
