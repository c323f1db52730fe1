"""Helpers the kerasknow executors share: reading split TFRecords, writing report files."""
import os
from typing import Any, Dict, List, Tuple

from tfx.dsl.io import fileio
from tfx.types import artifact_utils


def split_files(examples, split: str) -> List[str]:
    """The TFRecord files of one split of an Examples artifact."""
    uri = artifact_utils.get_split_uri([examples], split)
    return sorted(os.path.join(uri, name) for name in fileio.listdir(uri))


def read_split(examples, split: str) -> List[Dict[str, List[Any]]]:
    """Decodes every tf.Example of a split (GZIP TFRecords) to `{name: [values]}`."""
    return [decoded for decoded, _ in read_split_records(examples, split)]


def read_split_records(examples, split: str) -> List[Tuple[Dict[str, List[Any]], bytes]]:
    """Every tf.Example of a split, decoded and serialised; `[]` for a split the artifact lacks."""
    if split not in artifact_utils.decode_split_names(examples.split_names):
        return []
    return read_uri_split(examples.uri, split)


def read_uri_split(uri: str, split: str) -> List[Tuple[Dict[str, List[Any]], bytes]]:
    """Every tf.Example in `<uri>/Split-<split>/`, decoded and serialised; `[]` when there is none."""
    import tensorflow as tf

    from kerasknow.data.example_codec import decode_example

    folder = os.path.join(uri, f"Split-{split}")
    if not fileio.exists(folder):
        return []
    files = sorted(os.path.join(folder, name) for name in fileio.listdir(folder))
    if not files:
        return []
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [(decode_example(data), data) for data in (record.numpy() for record in dataset)]


def write_text(path: str, text: str) -> str:
    from kerasknow.data.file_system import write_file

    return write_file(path, text)


def copy_tree(src: str, dst: str) -> None:
    """Copies report files so they outlive the component's (possibly failed) execution."""
    from kerasknow.data.file_system import copy_file, list_files

    fileio.makedirs(dst)
    for relative in list_files(src):
        target = os.path.join(dst, relative)
        fileio.makedirs(os.path.dirname(target))
        copy_file(os.path.join(src, relative), target)
