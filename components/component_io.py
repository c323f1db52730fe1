"""Helpers the kerasknow executors share: reading split TFRecords, writing report files."""
import os
from typing import Any, Dict, List

from tfx.dsl.io import fileio
from tfx.types import artifact_utils


def split_files(examples, split: str) -> List[str]:
    """The TFRecord files of one split of an Examples artifact."""
    uri = artifact_utils.get_split_uri([examples], split)
    return sorted(os.path.join(uri, name) for name in fileio.listdir(uri))


def read_split(examples, split: str) -> List[Dict[str, List[Any]]]:
    """Decodes every tf.Example of a split (GZIP TFRecords) to `{name: [values]}`."""
    import tensorflow as tf

    from kerasknow.data.example_codec import decode_example

    files = split_files(examples, split)
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [decode_example(record.numpy()) for record in dataset]


def write_text(path: str, text: str) -> str:
    fileio.makedirs(os.path.dirname(path))
    with fileio.open(path, "w") as f:
        f.write(text)
    return path


def copy_tree(src: str, dst: str) -> None:
    """Copies report files so they outlive the component's (possibly failed) execution."""
    fileio.makedirs(dst)
    for name in fileio.listdir(src):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if fileio.isdir(s):
            copy_tree(s, d)
        else:
            fileio.copy(s, d, overwrite=True)
