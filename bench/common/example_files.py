"""Writes benchmark inputs as kerasknow's ExampleGen does: one GZIP TFRecord file per split."""
from typing import Dict, Iterable


def example_files(examples_uri: str, splits: Dict[str, Iterable]) -> Dict[str, str]:
    """Writes each split's `tf.train.Example`s with `kerasknow.data.write_examples`.

    Args:
        examples_uri: The Examples folder; `Split-<split>/` folders are written there.
        splits: Split name -> its `tf.train.Example`s (consumed once, in order).

    Returns:
        Split name -> the TFRecord file written (`split_file(examples_uri, split)`).
    """
    from kerasknow.data.write_examples import split_file, write_examples

    pairs = ((split, example.SerializeToString()) for split, examples in splits.items() for example in examples)
    write_examples(examples_uri, pairs, splits=tuple(splits))
    return {split: split_file(examples_uri, split) for split in splits}
