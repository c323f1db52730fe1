"""make_image_dataset: decoding, resizing, labels, batching, and bad labels."""
import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kerasknow.data.example_codec import encode_features
from kerasknow.errors import ConfigError, DataError
from kerasknow.images.image_input_pipeline import decode_and_resize, make_image_dataset


def _png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _write(path, rows):
    with tf.io.TFRecordWriter(str(path), tf.io.TFRecordOptions(compression_type="GZIP")) as w:
        for image, label in rows:
            w.write(encode_features({"image": image, "label": label}).SerializeToString())
    return str(path)


@pytest.fixture
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    images = (d.images[:40] * 255 / 16).round().astype(np.uint8)
    return images, d.target[:40]


def test_decode_resize_batch_and_label_ids(tmp_path, digits):
    images, targets = digits
    rows = [(_png(np.stack([img] * 3, -1)), f"d{t}") for img, t in zip(images, targets)]
    path = _write(tmp_path / "part.gz", rows)
    labels = [f"d{i}" for i in range(10)]
    ds = make_image_dataset(path, labels, image_size=32, batch_size=16, training=False)
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [16, 16, 8]
    x, y = batches[0]
    assert x.shape == (16, 32, 32, 3) and x.dtype == tf.float32 and y.dtype == tf.int32
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), targets)
    expected = tf.image.resize(np.stack([images[0]] * 3, -1)[None].astype("float32"), [32, 32]).numpy()[0]
    np.testing.assert_allclose(x[0].numpy(), np.round(expected), atol=1.0)
    assert float(tf.reduce_max(x)) <= 255.0
    # Training: shuffled, same multiset; max_examples caps the read.
    train = make_image_dataset(str(tmp_path), labels, 32, 16, training=True, seed=3)
    ids = np.concatenate([b[1].numpy() for b in train])
    assert sorted(ids) == sorted(targets) and list(ids) != list(targets)
    subset = np.concatenate([b[1].numpy() for b in make_image_dataset(path, labels, 32, 8, False, max_examples=10)])
    np.testing.assert_array_equal(subset, targets[::4])  # every 4th of 40, spread over the file


def _encoded(pixels, fmt, **kwargs):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_png_jpeg_bmp_gif_and_grey_decode_like_pillow():
    pixels = np.random.RandomState(0).randint(0, 256, (20, 30, 3), dtype=np.uint8)
    out = decode_and_resize(tf.constant(_png(pixels)), 20)
    assert out.shape == (20, 20, 3) and out.dtype == tf.uint8
    square = pixels[:, :20]
    for fmt in ("PNG", "BMP"):
        # Lossless formats at the model size come back bit-exact (the resize is a no-op).
        np.testing.assert_array_equal(decode_and_resize(tf.constant(_encoded(square, fmt)), 20).numpy(), square)
    jpeg = _jpeg(square)
    by_pillow = np.asarray(Image.open(io.BytesIO(jpeg))).astype(int)
    assert np.abs(decode_and_resize(tf.constant(jpeg), 20).numpy().astype(int) - by_pillow).mean() < 2
    gif = _encoded(square, "GIF")
    by_pillow = np.asarray(Image.open(io.BytesIO(gif)).convert("RGB"))
    np.testing.assert_array_equal(decode_and_resize(tf.constant(gif), 20).numpy(), by_pillow)
    grey = decode_and_resize(tf.constant(_png(square[:, :, 0])), 20).numpy()
    np.testing.assert_array_equal(grey[:, :, 2], square[:, :, 0])


def test_unknown_label_fails_with_the_label(tmp_path):
    path = _write(tmp_path / "p.gz", [(_png(np.zeros((4, 4, 3), np.uint8)), "zebra")])
    ds = make_image_dataset(path, ["cat", "dog"], 32, 2, training=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not in labels=\[cat, dog\][\s\S]*zebra"):
        list(ds)


def test_bad_arguments(tmp_path):
    with pytest.raises(DataError, match=r"No TFRecord files match"):
        make_image_dataset(str(tmp_path / "*.gz"), ["a"], 32, 2, True)
    with pytest.raises(ConfigError, match=r"batch_size must be an int >= 1\. Received: batch_size=0"):
        make_image_dataset(str(tmp_path), ["a"], 32, 0, True)
    with pytest.raises(ConfigError, match=r"labels must be a non-empty list of unique class names"):
        make_image_dataset(str(tmp_path), ["a", "a"], 32, 2, True)
