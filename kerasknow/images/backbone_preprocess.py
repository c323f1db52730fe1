"""A layer that applies a backbone's own `preprocess_input` inside the model."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.images.backbones import parse_backbone, preprocess_fn


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class BackbonePreprocess(tf.keras.layers.Layer):
    """Maps RGB pixel values in [0, 255] to what `backbone` was trained on.

    Keeping this in the model (instead of the input pipeline) means the SavedModel takes plain
    decoded pixels, so serving cannot forget or mismatch the preprocessing. It runs in float32
    whatever the mixed-precision policy ("caffe"-mode mean subtraction loses precision in
    float16).

    Args:
        backbone: A backbone spec (`"ResNet50"`, `"MobileNetV2(alpha=0.35)"`, ...).

    Example:

    >>> BackbonePreprocess("MobileNetV2")(tf.constant([[[[0.0, 127.5, 255.0]]]])).numpy().ravel()
    array([-1.,  0.,  1.], dtype=float32)
    """

    def __init__(self, backbone: str, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.backbone = backbone
        self._preprocess = preprocess_fn(parse_backbone(backbone)[0])

    def call(self, inputs):
        return self._preprocess(tf.cast(inputs, tf.float32))

    def get_config(self):
        config = super().get_config()
        config.update({"backbone": self.backbone})
        return config
