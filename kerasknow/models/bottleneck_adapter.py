"""A bottleneck adapter (Houlsby et al., 2019): a small residual MLP inserted into a frozen network."""
from typing import Any, Dict, Optional

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class BottleneckAdapter(tf.keras.layers.Layer):
    """`h + up(activation(down(h)))` with `h = inner(x)`: a residual bottleneck after a layer.

    Inserted after the attention output's and the feed-forward output's dense + dropout in each
    BERT layer (before their residual LayerNorm), it is the only new part of the encoder that
    trains under `finetune.strategy: adapter`. `up` starts near zero (a truncated normal of
    standard deviation `init_stddev`, biases zero), so the adapter starts near the identity and
    the network near the pretrained one, while every adapter weight gets a gradient from the
    first step. Adapters are ordinary Dense layers and stay in the served model.

    Args:
        size: The bottleneck width; >= 1.
        inner: The layer the adapter follows (BERT's dropout after a dense); called with
            `training`. None: the adapter alone.
        activation: The bottleneck's activation (a Keras activation name).
        init_stddev: Standard deviation of `up`'s initial kernel; >= 0.
        **kwargs: `tf.keras.layers.Layer` arguments (`name`, ...).

    Raises:
        ConfigError: For an invalid size or init_stddev.

    Example:

    >>> adapter = BottleneckAdapter(4, init_stddev=0.0)
    >>> x = tf.ones([2, 3, 8])
    >>> bool(tf.reduce_all(adapter(x) == x))  # exactly the identity with a zero `up`
    True
    >>> [w.name.split("/")[-2] for w in adapter.trainable_weights]
    ['down', 'down', 'up', 'up']
    """

    def __init__(self, size: int, inner: Optional[tf.keras.layers.Layer] = None, activation: str = "gelu",
                 init_stddev: float = 1e-3, **kwargs):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"`size` must be an int >= 1. Received: size={size!r}")
        if isinstance(init_stddev, bool) or not isinstance(init_stddev, (int, float)) or init_stddev < 0:
            raise ConfigError(f"`init_stddev` must be a number >= 0. Received: init_stddev={init_stddev!r}")
        if inner is not None:
            kwargs.setdefault("dtype", inner.dtype_policy)
        super().__init__(**kwargs)
        self.size = size
        self.inner = inner
        self.activation = activation
        self.init_stddev = float(init_stddev)
        up_init = (tf.keras.initializers.TruncatedNormal(stddev=self.init_stddev) if self.init_stddev
                   else tf.keras.initializers.Zeros())
        self.down = tf.keras.layers.Dense(size, activation=activation, name="down", dtype=self.dtype_policy)
        self.up_init = up_init
        self.up: Optional[tf.keras.layers.Dense] = None

    def build(self, input_shape) -> None:
        input_shape = tf.TensorShape(input_shape)
        hidden = int(input_shape[-1])
        self.up = tf.keras.layers.Dense(hidden, kernel_initializer=self.up_init, name="up", dtype=self.dtype_policy)
        # Under Keras' call this runs in the layer's name scope: the weights read `<adapter>/down/kernel`.
        with tf.name_scope("down"):
            self.down.build(input_shape)
        with tf.name_scope("up"):
            self.up.build(input_shape[:-1].concatenate([self.size]))
        super().build(input_shape)

    def call(self, inputs, training=None):
        hidden = self.inner(inputs, training=training) if self.inner is not None else inputs
        return hidden + self.up(self.down(hidden))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"size": self.size, "activation": self.activation, "init_stddev": self.init_stddev,
                       "inner": tf.keras.layers.serialize(self.inner) if self.inner is not None else None})
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "BottleneckAdapter":
        config = dict(config)
        if config.get("inner") is not None:
            config["inner"] = tf.keras.layers.deserialize(config["inner"])
        return cls(**config)
