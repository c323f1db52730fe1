"""The exported SavedModel: reload with tf.saved_model.load and classify real PNG and JPEG bytes."""
import io
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kerasknow.data.example_codec import encode_features
from kerasknow.errors import ConfigError
from kerasknow.images.image_classifier import build_image_classifier
from kerasknow.images.image_export import export_image_classifier
from kerasknow.images.image_input_pipeline import decode_and_resize

LABELS = ["circle", "square", "stripes"]


def _encode(pixels, fmt):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tf.keras.utils.set_random_seed(0)
    model = build_image_classifier(3, "MobileNetV2(alpha=0.35)", image_size=32, weights="none")
    path = export_image_classifier(model, str(tmp_path_factory.mktemp("export") / "1"), LABELS)
    return model, path


def test_serving_default_on_png_and_jpeg_bytes(exported):
    model, path = exported
    rng = np.random.RandomState(0)
    images = [rng.randint(0, 256, (40, 24, 3), dtype=np.uint8), rng.randint(0, 256, (32, 32, 3), dtype=np.uint8)]
    payload = [_encode(images[0], "PNG"), _encode(images[1], "JPEG")]
    loaded = tf.saved_model.load(path)
    serve = loaded.signatures["serving_default"]
    assert list(serve.structured_input_signature[1]) == ["images"]
    out = serve(images=tf.constant(payload))
    assert out["probabilities"].dtype == tf.float32 and out["probabilities"].shape == (2, 3)
    assert out["class_ids"].dtype == tf.int64 and out["labels"].dtype == tf.string
    # Same numbers as the Keras model on the same in-graph decoding.
    pixels = tf.stack([decode_and_resize(tf.constant(b), 32) for b in payload])
    expected = model(tf.cast(pixels, tf.float32), training=False).numpy()
    np.testing.assert_allclose(out["probabilities"].numpy(), expected, rtol=1e-4, atol=1e-6)
    ids = expected.argmax(-1)
    assert list(out["class_ids"].numpy()) == list(ids)
    assert [v.decode() for v in out["labels"].numpy()] == [LABELS[i] for i in ids]
    with open(os.path.join(path, "assets", "labels.txt"), encoding="utf-8") as f:
        assert f.read().split() == LABELS


def test_serving_examples_matches_serving_default(exported):
    _, path = exported
    payload = [_encode(np.full((10, 10, 3), v, np.uint8), "PNG") for v in (0, 128, 255)]
    examples = [encode_features({"image": b, "label": "circle"}).SerializeToString() for b in payload]
    loaded = tf.saved_model.load(path)
    by_examples = loaded.signatures["serving_examples"](examples=tf.constant(examples))
    by_images = loaded.signatures["serving_default"](images=tf.constant(payload))
    np.testing.assert_allclose(by_examples["probabilities"].numpy(), by_images["probabilities"].numpy(), rtol=1e-6)
    empty = loaded.signatures["serving_default"](images=tf.constant([], tf.string))
    assert empty["probabilities"].shape == (0, 3)


def test_bad_arguments(exported, tmp_path):
    model, _ = exported
    with pytest.raises(ConfigError, match=r"model outputs 3 classes but labels has 2"):
        export_image_classifier(model, str(tmp_path / "x"), ["a", "b"])
    with pytest.raises(ConfigError, match=r"labels must be unique"):
        export_image_classifier(model, str(tmp_path / "x"), ["a", "a", "b"])
    with pytest.raises(ConfigError, match=r"model must be a tf.keras.Model\. Received: model=str"):
        export_image_classifier("model", str(tmp_path / "x"), LABELS)
