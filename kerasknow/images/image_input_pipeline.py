"""The `tf.data` input pipeline for image classification.

GZIP TFRecords of `tf.Example`s (`image` encoded bytes, `label` bytes) -> parse -> decode and
resize in the graph, in parallel -> cache (uint8, so a 96x96 image takes 27 KB) -> shuffle
(training) -> batch -> float32 -> prefetch. The serving signature decodes with the same
`decode_and_resize`, so training and serving see identical pixels.
"""
from typing import List, Sequence, Union

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.data.spread_subset import spread_subset
from kerasknow.data.tfrecord_files import expand_tfrecord_files
from kerasknow.errors import ConfigError

_SHUFFLE_BUFFER = 10_000
IMAGE_FEATURE = "image"
LABEL_FEATURE = "label"


def decode_and_resize(encoded: tf.Tensor, image_size: int) -> tf.Tensor:
    """Decodes one JPEG/PNG/BMP/GIF (first frame) to RGB and resizes it to a square.

    Bilinear resizing (aspect ratio not kept: knowledge images are usually already cropped),
    rounded back to uint8.

    Args:
        encoded: A scalar tf.string of encoded image bytes.
        image_size: The output's height and width.

    Returns:
        uint8 `[image_size, image_size, 3]`.
    """
    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    resized = tf.image.resize(image, [image_size, image_size], method="bilinear")
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def make_image_dataset(file_pattern: Union[str, Sequence[str]], labels: List[str], image_size: int,
                       batch_size: int, training: bool, max_examples: int = 0, seed: int = 42,
                       cache: Union[bool, str] = True) -> tf.data.Dataset:
    """Reads, decodes, resizes and batches image-classification examples.

    Args:
        file_pattern: Glob, folder or list of GZIP TFRecord files (kerasknow's ExampleGen output).
        labels: Class names; a label's id is its index here.
        image_size: Square size images are resized to (the model's input size).
        batch_size: Examples per batch (the last batch may be smaller).
        training: Shuffle (seeded, reshuffled each epoch) when True; file order otherwise.
        max_examples: Read at most `max_examples` records, spread evenly over the files
            (`kerasknow.data.spread_subset`); 0 for all.
        seed: Shuffle seed.
        cache: True caches decoded images in memory, a path caches them in files there, False
            decodes every epoch.

    Returns:
        A dataset of `(images float32 [batch, size, size, 3] in [0, 255], label_ids int32 [batch])`.

    Raises:
        ConfigError: For invalid arguments.
        DataError: When no file matches.
        tf.errors.InvalidArgumentError: While iterating, for a label not in `labels` (the
            message names it) or bytes that are not an image.

    Example:

    ```python
    ds = make_image_dataset("examples/Split-train/*.gz", ["cat", "dog"], 96, 32, training=True)
    images, label_ids = next(iter(ds))
    ```
    """
    for name, value, low in (("batch_size", batch_size, 1), ("image_size", image_size, 1),
                             ("max_examples", max_examples, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{name} must be an int >= {low}. Received: {name}={value!r}")
    if isinstance(labels, (str, bytes)) or not labels or len(set(labels)) != len(labels):
        raise ConfigError(f"labels must be a non-empty list of unique class names. Received: labels={labels!r}")
    files = expand_tfrecord_files(file_pattern)
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(list(labels)), tf.range(len(labels), dtype=tf.int32)),
        default_value=-1)
    shown = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
    spec = {IMAGE_FEATURE: tf.io.FixedLenFeature([], tf.string),
            LABEL_FEATURE: tf.io.FixedLenFeature([], tf.string)}

    def parse(serialized):
        parsed = tf.io.parse_single_example(serialized, spec)
        label_id = table.lookup(parsed[LABEL_FEATURE])
        check = tf.debugging.Assert(label_id >= 0, [
            f"kerasknow: a label is not in labels=[{shown}]. Fix: pass the ExampleGen label vocabulary. "
            "Received label:", parsed[LABEL_FEATURE]])
        with tf.control_dependencies([check]):
            label_id = tf.identity(label_id)
        return decode_and_resize(parsed[IMAGE_FEATURE], image_size), label_id

    ds = tf.data.TFRecordDataset(files, compression_type="GZIP", num_parallel_reads=min(len(files), 4) or None)
    ds = spread_subset(ds, max_examples)  # every k-th record: all labels, not the first ones
    ds = ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not training)
    if cache:
        ds = ds.cache(cache if isinstance(cache, str) else "")
    if training:
        ds = ds.shuffle(_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    ds = ds.map(lambda images, label_ids: (tf.cast(images, tf.float32), label_ids),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
