"""Random flips, rotations and zooms, active only in training."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError

_FLIPS = ("", "horizontal", "vertical", "horizontal_and_vertical")


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class ImageAugmentation(tf.keras.layers.Layer):
    """Augments a batch of `[batch, height, width, 3]` pixel values when `training=True`.

    At inference (`training=False`, evaluation and the exported model) it returns its input
    unchanged. Runs in float32 regardless of the mixed-precision policy.

    Args:
        flip: `"horizontal"`, `"vertical"`, `"horizontal_and_vertical"` or `""` for none.
        rotation: Largest rotation as a fraction of a full turn (0.05 = 18 degrees); 0 for none.
        zoom: Largest zoom in or out as a fraction of the size (0.1 = 10%); 0 for none.
        seed: Seed of the random transforms.

    Raises:
        ConfigError: For a flip mode not listed or a factor outside [0, 1).

    Example:

    >>> aug = ImageAugmentation(flip="horizontal", rotation=0.0, zoom=0.0, seed=1)
    >>> x = tf.zeros([2, 32, 32, 3])
    >>> bool(tf.reduce_all(aug(x, training=False) == x))
    True
    """

    def __init__(self, flip: str = "horizontal", rotation: float = 0.05, zoom: float = 0.1, seed: int = 42,
                 **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        if flip not in _FLIPS:
            raise ConfigError(f"flip must be one of {_FLIPS}. Received: flip={flip!r}")
        for name, value in (("rotation", rotation), ("zoom", zoom)):
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ConfigError(f"{name} must be a number in [0, 1). Received: {name}={value!r}")
        self.flip, self.rotation, self.zoom, self.seed = flip, float(rotation), float(zoom), int(seed)
        self._steps = []
        if flip:
            self._steps.append(tf.keras.layers.RandomFlip(flip, seed=seed, dtype="float32"))
        if rotation:
            self._steps.append(tf.keras.layers.RandomRotation(rotation, fill_mode="reflect", seed=seed + 1,
                                                              dtype="float32"))
        if zoom:
            self._steps.append(tf.keras.layers.RandomZoom(zoom, fill_mode="reflect", seed=seed + 2,
                                                          dtype="float32"))

    def call(self, inputs, training=None):
        x = tf.cast(inputs, tf.float32)
        for step in self._steps:
            x = step(x, training=training)
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"flip": self.flip, "rotation": self.rotation, "zoom": self.zoom, "seed": self.seed})
        return config
