"""A subset of a dataset's records spread evenly over it, for tuning on part of the data."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError


def spread_subset(records: tf.data.Dataset, max_examples: int) -> tf.data.Dataset:
    """At most `max_examples` records, every k-th one, so the subset spans the whole dataset.

    ExampleGen keeps the order of its input, and a folder of `<label>/...` files is read label
    by label, so the first N records can all carry one label: a Keras Tuner search on such a
    prefix sees one class and scores every trial alike. Taking every k-th record (k =
    ceil(count / max_examples)) keeps each stretch of the files, and so each label, in
    proportion. It costs one extra pass over the records to count them (no parsing).

    Args:
        records: A finite dataset, e.g. a `TFRecordDataset` of serialised `tf.Example`s.
        max_examples: The most records to keep; 0 keeps all.

    Returns:
        `records` itself when it holds at most `max_examples` records (or `max_examples` is 0);
        otherwise records 0, k, 2k, ... in their order.

    Raises:
        ConfigError: When `max_examples` is not an int >= 0.

    Example:

    >>> ds = tf.data.Dataset.range(10)
    >>> [int(x) for x in spread_subset(ds, 4)]
    [0, 3, 6, 9]
    """
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 0:
        raise ConfigError(
            f"`max_examples` must be an int >= 0 (0 keeps all). Received: max_examples={max_examples!r}")
    if not max_examples:
        return records
    count = int(records.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))
    if count <= max_examples:
        return records
    stride = -(-count // max_examples)
    return (records.enumerate()
            .filter(lambda i, _: i % stride == 0)
            .map(lambda _, record: record))
