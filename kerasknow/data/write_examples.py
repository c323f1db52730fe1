"""Writes serialised tf.Examples into an Examples artifact's split folders (GZIP TFRecords)."""
import os
from typing import Dict, Iterable, Sequence, Tuple

SPLITS = ("train", "eval")
FILE_NAME = "data_tfrecord-00000-of-00001.gz"


def split_file(examples_uri: str, split: str) -> str:
    """`<examples_uri>/Split-<split>/data_tfrecord-00000-of-00001.gz`, TFX's split layout."""
    return os.path.join(examples_uri, f"Split-{split}", FILE_NAME)


def write_examples(examples_uri: str, examples: Iterable[Tuple[str, bytes]],
                   splits: Sequence[str] = SPLITS) -> Dict[str, int]:
    """Writes `(split, serialised tf.Example)` pairs, one GZIP TFRecord file per split.

    Every split in `splits` gets a file, empty or not, so readers find each split the artifact
    names. Paths go through TFX's file system layer (`gs://` works where TF has the plugin).

    Args:
        examples_uri: The Examples artifact's folder (or any folder).
        examples: `(split, bytes)` pairs; consumed once, in order.
        splits: The split names.

    Returns:
        Examples written per split.

    Raises:
        ValueError: For a pair whose split is not in `splits`.

    Example:

    >>> import tempfile
    >>> from kerasknow.data.example_codec import encode_features
    >>> ex = encode_features({"text": "hello", "label": "greeting"}).SerializeToString()
    >>> write_examples(tempfile.mkdtemp(), [("train", ex), ("train", ex), ("eval", ex)])
    {'train': 2, 'eval': 1}
    """
    import tensorflow as tf
    from tfx.dsl.io import fileio

    counts = {split: 0 for split in splits}
    writers = {}
    try:
        for split in splits:
            path = split_file(examples_uri, split)
            fileio.makedirs(os.path.dirname(path))
            writers[split] = tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression_type="GZIP"))
        for split, serialized in examples:
            if split not in writers:
                raise ValueError(f"Unknown split {split!r}. Expected one of {list(splits)}.")
            writers[split].write(serialized)
            counts[split] += 1
    finally:
        for writer in writers.values():
            writer.close()
    return counts
