"""Whole-file writes, copies, listings and removals on any file system TensorFlow reads, including
the quirks of TensorFlow's in-memory `ram://` file system (the tests' stand-in for object stores).

Found on `ram://` (TensorFlow 2.16): a write (`GFile(path, "w")`, `copy(..., overwrite=True)`)
over an existing file appends to it instead of replacing it; a folder lists names of its
siblings that start with its own name (`m/assets` lists `.extra` when `m/assets.extra/` exists),
which do not exist, and `rmtree` fails on them; a folder `rename` moves the name but not the
files. Object stores (`gs://`, `s3://`) replace an object in one put and list what exists; local
files truncate.
"""
from typing import List, Union

#: File systems whose writes do not truncate: the old file is removed first.
APPENDING_SCHEMES = ("ram://",)


def _clear(path: str) -> None:
    import tensorflow as tf

    if str(path).startswith(APPENDING_SCHEMES) and tf.io.gfile.exists(path):
        tf.io.gfile.remove(path)


def write_file(path: str, data: Union[str, bytes]) -> str:
    """Writes `data` as the whole file at `path` (local or a URI), creating its folder.

    Returns:
        `path`.

    >>> import tensorflow as tf
    >>> _ = write_file("ram://write-file-doc/a.txt", "a longer text")
    >>> _ = write_file("ram://write-file-doc/a.txt", "short")
    >>> tf.io.gfile.GFile("ram://write-file-doc/a.txt").read()
    'short'
    """
    import os

    import tensorflow as tf

    folder = os.path.dirname(str(path))
    if folder:
        tf.io.gfile.makedirs(folder)
    _clear(path)
    with tf.io.gfile.GFile(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def copy_file(source: str, target: str) -> None:
    """Copies a file over `target` (local or a URI), replacing what was there."""
    import tensorflow as tf

    _clear(target)
    tf.io.gfile.copy(source, target, overwrite=True)


def list_files(folder: str) -> List[str]:
    """The files under `folder`, as paths relative to it (`a/b.txt`), sorted; names a listing
    shows that do not exist are left out.

    >>> _ = write_file("ram://list-files-doc/m/assets/vocab.txt", "x")
    >>> _ = write_file("ram://list-files-doc/m/assets.extra/warmup", "x")
    >>> list_files("ram://list-files-doc/m")
    ['assets.extra/warmup', 'assets/vocab.txt']
    """
    import tensorflow as tf

    folder = str(folder).rstrip("/")
    found = []
    for root, _, names in tf.io.gfile.walk(folder):
        relative = root.rstrip("/")[len(folder):].lstrip("/")
        for name in names:
            path = f"{relative}/{name}" if relative else name
            if tf.io.gfile.exists(f"{folder}/{path}"):
                found.append(path)
    return sorted(found)


def remove_tree(folder: str) -> None:
    """Deletes a folder and everything in it (local or a URI); nothing when it does not exist.

    >>> _ = write_file("ram://remove-tree-doc/m/assets/vocab.txt", "x")
    >>> _ = write_file("ram://remove-tree-doc/m/assets.extra/warmup", "x")
    >>> remove_tree("ram://remove-tree-doc/m")
    >>> list_files("ram://remove-tree-doc")
    []
    """
    import tensorflow as tf

    if not tf.io.gfile.exists(folder):
        return
    try:
        tf.io.gfile.rmtree(folder)
        return
    except tf.errors.NotFoundError:  # a listed name that does not exist (ram://): file by file
        pass
    folder = str(folder).rstrip("/")
    for relative in list_files(folder):
        tf.io.gfile.remove(f"{folder}/{relative}")
    folders = [root.rstrip("/") for root, _, _ in tf.io.gfile.walk(folder)]
    for path in sorted(folders, key=len, reverse=True):
        try:
            tf.io.gfile.rmtree(path)
        except tf.errors.NotFoundError:
            pass
