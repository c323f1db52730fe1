"""The fast `tf.data` input pipeline for text classification.

Reads the GZIP TFRecords of `tf.Example`s that kerasknow's ExampleGen writes (features `text`
and `label`, both bytes), tokenises in the graph, and batches texts of similar length together
so that a batch is padded only to its own longest text instead of to `max_length`. On a CPU,
training time is proportional to the tokens computed, padding included, so this is where the
speed comes from (see docs/performance.md).
"""
from typing import List, Optional, Sequence, Union

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.data.spread_subset import spread_subset
from kerasknow.data.tfrecord_files import expand_tfrecord_files
from kerasknow.errors import ConfigError

# Texts are parsed and tokenised this many at a time: one vectorised tokenizer call per chunk
# is far cheaper than one per text.
_TOKENIZE_CHUNK = 256
_SHUFFLE_BUFFER = 10_000
_LABEL_SHOWN = 5


def default_bucket_boundaries(max_length: int) -> List[int]:
    """Bucket lengths for `max_length`: every 8 tokens up to 64, then every 16, then `max_length`.

    Short texts (titles, questions) need fine buckets, where 8 tokens of padding is a large
    share of the work; long ones do not.

    Args:
        max_length: The tokenizer's longest sequence.

    Returns:
        Increasing bucket lengths, the last one `max_length`.

    Example:

    >>> default_bucket_boundaries(128)
    [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128]
    """
    bounds = list(range(8, 65, 8)) + list(range(80, max_length + 1, 16))
    return [b for b in bounds if b < max_length] + [max_length]


def xla_bucket_boundaries(max_length: int) -> List[int]:
    """Coarse bucket lengths for XLA: 32, 64, then `max_length`.

    XLA compiles the train step once per input shape (several seconds for a BERT on a CPU), so
    with `pad_to_bucket_boundary` few buckets beat tight padding: at most three widths.

    Example:

    >>> xla_bucket_boundaries(128)
    [32, 64, 128]
    """
    return [b for b in (32, 64) if b < max_length] + [max_length]


def _check_labels(labels) -> List[str]:
    if isinstance(labels, (str, bytes)) or not labels or not all(isinstance(x, str) for x in labels):
        raise ConfigError(
            f"`labels` must be a non-empty list of label strings. Received: labels={labels!r}"
        )
    duplicates = sorted({x for x in labels if list(labels).count(x) > 1})
    if duplicates:
        raise ConfigError(
            f"`labels` must be unique (each is one class id). Received duplicates: {duplicates}"
        )
    return list(labels)


def _check_boundaries(bucket_boundaries, max_length: int) -> Optional[List[int]]:
    if bucket_boundaries is None:
        return default_bucket_boundaries(max_length)
    bounds = list(bucket_boundaries)
    if not all(isinstance(b, int) and not isinstance(b, bool) and b >= 1 for b in bounds) or any(
        a >= b for a, b in zip(bounds, bounds[1:])
    ):
        raise ConfigError(
            "`bucket_boundaries` must be strictly increasing positive ints (bucket lengths), or "
            f"[] for no bucketing. Received: bucket_boundaries={bucket_boundaries!r}"
        )
    bounds = [b for b in bounds if b < max_length]
    return bounds + [max_length] if bucket_boundaries else []


def make_text_dataset(
    file_pattern: Union[str, Sequence[str]],
    tokenizer,
    labels: List[str],
    batch_size: int,
    training: bool,
    bucket_boundaries: Optional[List[int]] = None,
    max_examples: int = 0,
    seed: int = 42,
    cache: bool = True,
    pad_to_bucket_boundary: bool = False,
) -> tf.data.Dataset:
    """Reads, tokenises, length-buckets and batches text-classification examples.

    Steps: GZIP TFRecords -> parse `text`/`label` -> label ids (a `StaticHashTable` over
    `labels`) -> in-graph tokenisation, a chunk of texts at a time -> (cache) -> (shuffle,
    training only) -> batches of texts of similar length, each padded to its own longest text
    (or to its bucket's length with `pad_to_bucket_boundary`) -> `prefetch(AUTOTUNE)`.

    Every example is yielded exactly once per pass (partial batches are kept). With bucketing
    the order differs from the files' order even when `training=False`; pass
    `bucket_boundaries=[]` for plain batches in file order (still padded per batch).

    Args:
        file_pattern: A glob pattern, a directory (its `*.gz` files are read), or a list of
            those. Files are GZIP TFRecords of `tf.Example`s with bytes features `text` and
            `label`, as written by kerasknow's ExampleGen.
        tokenizer: An `InGraphBertTokenizer` (anything with `tokenize(texts) -> RaggedTensor`,
            `max_length` and `pad_id`).
        labels: Class names; a label's id is its index here.
        batch_size: Examples per batch; >= 1.
        training: Shuffle (seeded, reshuffled every pass) when True.
        bucket_boundaries: Bucket lengths in tokens (a text of length n goes to the first
            bucket of length >= n; lengths above the last go to a bucket of `max_length`).
            None for `default_bucket_boundaries(tokenizer.max_length)`, `[]` for none.
        max_examples: Read at most `max_examples` records, spread evenly over the files
            (`kerasknow.data.spread_subset`); 0 for all.
        seed: Shuffle seed.
        cache: Keep the tokenised examples in memory after the first pass, so later epochs
            skip reading and tokenising.
        pad_to_bucket_boundary: Pad every batch to its bucket's length instead of its longest
            text: a few fixed shapes (what XLA, which compiles once per shape, needs) for
            slightly more padding.

    Returns:
        A `tf.data.Dataset` of `(features, label_id)`: `features` a dict of int32 `[batch, L]`
        tensors `input_ids`, `attention_mask`, `token_type_ids` (`L` varies by batch,
        `<= tokenizer.max_length`), `label_id` int32 `[batch]`.

    Raises:
        ConfigError: For invalid arguments.
        DataError: When no file matches `file_pattern`.
        tf.errors.InvalidArgumentError: While iterating, when a record's label is not in
            `labels` (the message names the labels) or a record lacks `text`/`label`.

    Example:

    ```python
    tokenizer = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir())
    ds = make_text_dataset("examples/Split-train/*.gz", tokenizer, ["sport", "tech"],
                           batch_size=16, training=True)
    features, label_ids = next(iter(ds))
    ```
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"`batch_size` must be an int >= 1. Received: batch_size={batch_size!r}")
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 0:
        raise ConfigError(
            f"`max_examples` must be an int >= 0 (0 reads all). Received: max_examples={max_examples!r}"
        )
    for name in ("tokenize", "max_length", "pad_id"):
        if not hasattr(tokenizer, name):
            raise ConfigError(
                "`tokenizer` must be an InGraphBertTokenizer (with tokenize, max_length, pad_id). "
                f"Received: tokenizer of type {type(tokenizer).__name__}, lacking `{name}`"
            )
    labels = _check_labels(labels)
    bounds = _check_boundaries(bucket_boundaries, tokenizer.max_length)
    files = expand_tfrecord_files(file_pattern)

    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(labels, tf.string), tf.range(len(labels), dtype=tf.int32)
        ),
        default_value=-1,
    )
    shown = ", ".join(labels[:20]) + (", ..." if len(labels) > 20 else "")
    spec = {
        "text": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.string),
    }

    def parse_and_tokenize(serialized):
        parsed = tf.io.parse_example(serialized, spec)
        label_ids = table.lookup(parsed["label"])
        unknown = tf.boolean_mask(parsed["label"], label_ids < 0)
        check = tf.debugging.Assert(
            tf.size(unknown) == 0,
            [
                f"kerasknow: found label(s) that are not in labels=[{shown}]. Fix: pass every "
                "class name in `labels` (the ExampleGen label vocabulary). Received labels:",
                unknown[:_LABEL_SHOWN],
            ],
            summarize=_LABEL_SHOWN,
        )
        with tf.control_dependencies([check]):
            label_ids = tf.identity(label_ids)
        ids = tokenizer.tokenize(parsed["text"])
        return ids, label_ids

    ds = tf.data.TFRecordDataset(files, compression_type="GZIP")
    ds = spread_subset(ds, max_examples)  # every k-th record: all labels, not the first ones
    ds = ds.batch(_TOKENIZE_CHUNK).map(parse_and_tokenize, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.unbatch()
    if cache:
        ds = ds.cache()
    if training:
        ds = ds.shuffle(_SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)

    pad_id = tf.constant(tokenizer.pad_id, tf.int32)

    def to_pair(ids, label_id):
        return (ids, tf.ones_like(ids)), label_id

    ds = ds.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    padding_values = ((pad_id, tf.constant(0, tf.int32)), tf.constant(0, tf.int32))
    if bounds:
        # bucket_by_sequence_length's boundaries are exclusive upper limits; ours are lengths.
        ds = ds.bucket_by_sequence_length(
            element_length_func=lambda pair, label_id: tf.shape(pair[0])[0],
            bucket_boundaries=[b + 1 for b in bounds[:-1]],
            bucket_batch_sizes=[batch_size] * len(bounds),
            padded_shapes=(([None], [None]), []),
            padding_values=padding_values,
            pad_to_bucket_boundary=False,
        )
    else:
        ds = ds.padded_batch(batch_size, padded_shapes=(([None], [None]), []),
                             padding_values=padding_values)

    lengths = tf.constant(bounds or [tokenizer.max_length], tf.int32)

    def to_features(pair, label_ids):
        input_ids, mask = pair
        if pad_to_bucket_boundary:
            # The first bucket length that holds the batch's longest text.
            longest = tf.shape(input_ids)[1]
            target = tf.gather(lengths, tf.reduce_sum(tf.cast(lengths < longest, tf.int32)))
            extra = [[0, 0], [0, target - longest]]
            input_ids = tf.pad(input_ids, extra, constant_values=pad_id)
            mask = tf.pad(mask, extra)
        features = {
            "input_ids": input_ids,
            "attention_mask": mask,
            "token_type_ids": tf.zeros_like(input_ids),
        }
        return features, label_ids

    ds = ds.map(to_features, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
