"""The Tuner's own validation split, carved out of the train split."""
from typing import Callable, Dict, Sequence

from kerasknow.data.split import assign_split

#: Salt of the carve's hash: independent of the train/eval split's (`assign_split`'s default),
#: whose train half would otherwise all fall on one side.
SALT = "kerasknow-tuning"


def validation_carve(train_files: Sequence[str], out_uri: str, fraction: float,
                     key_of: Callable[[bytes], str]) -> Dict[str, int]:
    """Splits the train split's examples into `train` and `validation` under `out_uri`.

    An example's side depends only on its content (`key_of`: the family's `example_key` of the
    decoded example, hashed by `assign_split` with `SALT`), so the carve is the same on every
    run and a text in both halves twice lands on one side. The eval split is never read: the
    search scores trials on data the blessing's evaluation never sees.

    Args:
        train_files: GZIP TFRecord files (or patterns) of the train split.
        out_uri: Where `Split-train/` and `Split-validation/` are written
            (`kerasknow.data.write_examples.split_file`).
        fraction: Share of the examples in `validation`, in (0, 1).
        key_of: The identity of a serialised tf.Example.

    Returns:
        Examples per side: `{"train": n, "validation": m}`.

    Raises:
        ValueError: When a side is empty (too few training examples for the fraction).

    Example:

    ```python
    counts = validation_carve([split_file(uri, "train")], work_dir, 0.2,
                              lambda raw: family.example_key(decode_example(raw)))
    ```
    """
    import tensorflow as tf

    from kerasknow.config.settings import setting
    from kerasknow.data.tfrecord_files import expand_tfrecord_files
    from kerasknow.data.write_examples import write_examples

    files = expand_tfrecord_files(list(train_files))
    pairs = []
    for raw in tf.data.TFRecordDataset(files, compression_type="GZIP").as_numpy_iterator():
        side = "validation" if assign_split(key_of(raw), fraction, salt=SALT) == "eval" else "train"
        pairs.append((side, raw))
    counts = write_examples(out_uri, pairs, splits=("train", "validation"))
    if not counts.get("train") or not counts.get("validation"):
        raise ValueError(
            f"The Tuner's validation split carved from {len(pairs)} training examples ({', '.join(files)}) at "
            f"{setting('tuning.validation_fraction')}={fraction} left a side empty: expected examples on both, "
            f"received train={counts.get('train', 0)}, validation={counts.get('validation', 0)}. Add knowledge, "
            "change the fraction, or run with --no-tune.")
    return counts
