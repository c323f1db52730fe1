"""Exports an image classifier as a SavedModel that takes encoded image bytes.

Signatures:

- `serving_default`: `images` (tf.string `[None]`, JPEG/PNG/BMP/GIF bytes) -> `labels`
  (tf.string `[B]`), `class_ids` (int64 `[B]`), `probabilities` (float32 `[B, C]`), `classes`
  (tf.string `[B, C]`, the class names in `probabilities`' order).
- `serving_examples`: `examples` (serialised `tf.Example`s with a bytes feature `image`,
  tf.string `[None]`) -> the same outputs.

Decoding and resizing happen in the graph with the training pipeline's `decode_and_resize`, and
the backbone's preprocessing is inside the model, so clients send file bytes as they are. Loading
needs TensorFlow only.
"""
import os
import tempfile

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.images.image_input_pipeline import IMAGE_FEATURE, decode_and_resize
from kerasknow.models.classifier_outputs import classifier_outputs

LABELS_FILENAME = "labels.txt"


class _ImageClassifierServingModule(tf.Module):
    """Classifier weights + labels + in-graph decoding, with the two serving functions."""

    def __init__(self, model, labels: list, image_size: int, labels_path: str):
        super().__init__(name="image_classifier")
        # Variables are tracked directly instead of the Keras model: saving skips Keras'
        # per-layer SavedModel tracing, which is slow and not needed for serving.
        self.model_variables = list(model.variables)
        self._call_model = model.__call__
        self.labels_file = tf.saved_model.Asset(labels_path)
        self._labels = list(labels)
        self._image_size = int(image_size)

    def _predict(self, encoded: tf.Tensor) -> dict:
        size = self._image_size
        pixels = tf.map_fn(lambda b: decode_and_resize(b, size), encoded,
                           fn_output_signature=tf.TensorSpec([size, size, 3], tf.uint8))
        # An empty request must not reach the model: depthwise convolutions fail on a 0 batch.
        probabilities = tf.cond(
            tf.shape(encoded)[0] > 0,
            lambda: tf.cast(self._call_model(tf.cast(pixels, tf.float32), training=False), tf.float32),
            lambda: tf.zeros([0, len(self._labels)], tf.float32))
        return classifier_outputs(probabilities, self._labels)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def serve_images(self, images):
        return self._predict(images)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(self, examples):
        parsed = tf.io.parse_example(examples, {IMAGE_FEATURE: tf.io.FixedLenFeature([], tf.string)})
        # Calls the traced `serve_images` instead of tracing the model a second time.
        return self.serve_images(parsed[IMAGE_FEATURE])


def export_image_classifier(model, export_dir: str, labels: list) -> str:
    """Writes a SavedModel that classifies encoded images (signatures in the module docstring).

    Args:
        model: A `tf.keras` model mapping float32 `[batch, size, size, 3]` pixels in [0, 255] to
            class probabilities `[batch, len(labels)]` (e.g. from `build_image_classifier`).
        export_dir: Directory to write.
        labels: Class names in the model's output order; also written to `assets/labels.txt`.

    Returns:
        `export_dir`.

    Raises:
        ConfigError: For an invalid argument, a model input that is not a square RGB image, or
            an output size other than `len(labels)`.

    Example:

    ```python
    export_image_classifier(model, "/tmp/export/1", ["cat", "dog"])
    serve = tf.saved_model.load("/tmp/export/1").signatures["serving_default"]
    serve(images=tf.constant([open("cat.jpg", "rb").read()]))["labels"]
    ```
    """
    if not isinstance(model, tf.keras.Model):
        raise ConfigError(f"model must be a tf.keras.Model. Received: model={type(model).__name__}")
    if not isinstance(export_dir, (str, os.PathLike)) or not os.fspath(export_dir):
        raise ConfigError(f"export_dir must be a non-empty path. Received: export_dir={export_dir!r}")
    if (isinstance(labels, (str, bytes)) or not labels or len(set(labels)) != len(labels)
            or any(not isinstance(x, str) or not x or "\n" in x for x in labels)):
        raise ConfigError(f"labels must be unique, non-empty, single-line strings. Received: labels={labels!r}")
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[3] != 3 or shape[1] is None or shape[1] != shape[2]:
        raise ConfigError(f"The model must take square RGB images [batch, size, size, 3]. Received: input_shape={shape}")
    if model.output_shape[-1] != len(labels):
        raise ConfigError(f"The model outputs {model.output_shape[-1]} classes but labels has {len(labels)}. "
                          f"Received: labels={labels!r}")
    export_dir = os.fspath(export_dir)
    with tempfile.TemporaryDirectory(prefix="kerasknow_labels_") as tmp:
        labels_path = os.path.join(tmp, LABELS_FILENAME)
        with open(labels_path, "w", encoding="utf-8") as f:
            f.write("".join(f"{label}\n" for label in labels))
        module = _ImageClassifierServingModule(model, labels, shape[1], labels_path)
        signatures = {"serving_default": module.serve_images.get_concrete_function(),
                      "serving_examples": module.serve_examples.get_concrete_function()}
        tf.saved_model.save(module, export_dir, signatures=signatures)
    return export_dir
