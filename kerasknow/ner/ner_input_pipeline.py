"""tf.data input for NER training: GZIP TFRecords of `tokens`/`tags` -> aligned BERT batches."""
from typing import List, Sequence

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.data.spread_subset import spread_subset
from kerasknow.data.tfrecord_files import expand_tfrecord_files
from kerasknow.errors import ConfigError
from kerasknow.ner.label_alignment import IGNORE_LABEL, add_special_tokens, align_labels, word_pieces_of_sentences

_FEATURES = {
    "tokens": tf.io.RaggedFeature(tf.string),
    "tags": tf.io.RaggedFeature(tf.string),
}


def tag_table(labels: Sequence[str]) -> tf.lookup.StaticHashTable:
    """Tag string -> label id; tags outside `labels` map to -100 (not scored).

    ExampleGen's label vocabulary holds every tag of every record, so the default only guards
    against examples written by something else.
    """
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(list(labels)), tf.range(len(labels), dtype=tf.int32)),
        default_value=IGNORE_LABEL,
    )


def make_ner_dataset(files: List[str], tokenizer, labels: Sequence[str], batch_size: int, training: bool,
                     max_examples: int = 0, seed: int = 42) -> tf.data.Dataset:
    """Builds a batched dataset for `model.fit` from GZIP TFRecords of NER examples.

    Each example's words are tokenised word by word in the graph; the first piece of a word
    carries its tag id and the rest -100; sequences are cut to `tokenizer.max_length` (with
    `[CLS]`/`[SEP]`) and padded to the longest sequence of each batch (dynamic padding).

    Args:
        files: TFRecord file paths or glob patterns (GZIP), e.g. `<examples>/Split-train/*`.
        tokenizer: An `InGraphBertTokenizer`.
        labels: The tag vocabulary; label id = position.
        batch_size: Sentences per batch.
        training: Shuffle (seeded, reshuffled each epoch). The last, partial batch is kept either
            way, so small data still trains and every eval example is scored.
        max_examples: Use at most this many examples, spread evenly over the files
            (`kerasknow.data.spread_subset`; 0 = all), e.g. for tuning.
        seed: Shuffle seed.

    Returns:
        A `tf.data.Dataset` of `({"input_ids", "attention_mask", "token_type_ids"}, labels)`,
        int32 `[batch, length]` each, labels -100 where not scored; prefetched.

    Raises:
        ConfigError: For no files, no labels or a non-positive batch size.

    Example:

    ```python
    ds = make_ner_dataset(["out/Split-train/*.gz"], tok, ["B-PER", "I-PER", "O"], 16, True)
    ```
    """
    if not files:
        raise ConfigError("make_ner_dataset needs at least one TFRecord file. Received: files=[]")
    if not labels:
        raise ConfigError("make_ner_dataset needs the tag vocabulary. Received: labels=[]")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be a positive int. Received: batch_size={batch_size!r}")
    paths = expand_tfrecord_files(list(files))
    table = tag_table(labels)
    ds = tf.data.TFRecordDataset(sorted(paths), compression_type="GZIP")
    ds = spread_subset(ds, max_examples)  # every k-th record: all labels, not the first ones
    if training:
        ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)

    def encode(serialized):
        parsed = tf.io.parse_example(serialized, _FEATURES)
        piece_ids, first_piece = word_pieces_of_sentences(tokenizer, parsed["tokens"])
        word_labels = tf.ragged.map_flat_values(table.lookup, parsed["tags"])
        piece_labels = align_labels(piece_ids, first_piece, word_labels)
        ids, piece_labels = add_special_tokens(tokenizer, piece_ids, piece_labels)
        input_ids = ids.to_tensor(default_value=tokenizer.pad_id)
        features = {
            "input_ids": input_ids,
            "attention_mask": tf.ones_like(ids).to_tensor(default_value=0),
            "token_type_ids": tf.zeros_like(input_ids),
        }
        return features, piece_labels.to_tensor(default_value=IGNORE_LABEL)

    return ds.batch(batch_size).map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
