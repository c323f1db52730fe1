"""Reads, whole-file writes, copies, listings and removals on any file system TensorFlow reads, including
the quirks of TensorFlow's in-memory `ram://` file system (the tests' stand-in for object stores).

Found on `ram://` (TensorFlow 2.16): a write (`GFile(path, "w")`, `copy(..., overwrite=True)`)
over an existing file appends to it instead of replacing it; a folder lists names of its
siblings that start with its own name (`m/assets` lists `.extra` when `m/assets.extra/` exists),
which do not exist, and `rmtree` fails on them; a folder `rename` moves the name but not the
files. Object stores (`gs://`, `s3://`) replace an object in one put and list what exists; local
files truncate.

Reads go through the same layer: the knowledge readers never call `os.path`'s file-system
functions or `open` on a user's path (those see only local files, so `--data gs://bucket/knowledge`
would read as "not found"). Paths are joined and compared as strings with `/` (a URI's separator,
and the local one on the platforms kerasknow runs on).
"""
from typing import Iterator, List, Tuple, Union

# ------------------------------------------------------------------------ reading


def _gfile():
    import tensorflow as tf

    return tf.io.gfile


def exists(path: str) -> bool:
    """Whether `path` (a file or a folder) exists."""
    return _gfile().exists(path)


def isdir(path: str) -> bool:
    """Whether `path` is a folder."""
    return _gfile().isdir(path)


def isfile(path: str) -> bool:
    """Whether `path` exists and is not a folder."""
    gfile = _gfile()
    return gfile.exists(path) and not gfile.isdir(path)


def join(folder: str, *names: str) -> str:
    """`folder/name/...` for a local path or a URI (`os.path.join` without the platform's rules)."""
    out = folder
    for name in names:
        out = out + name if out.endswith("/") else f"{out}/{name}"
    return out


def basename(path: str) -> str:
    """The last component of `path`."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def relative(path: str, root: str) -> str:
    """`path` relative to the folder `root` (`"."` for `root` itself), as `/`-separated text."""
    root = root.rstrip("/")
    path = path.rstrip("/")
    if path == root:
        return "."
    if not path.startswith(root + "/"):
        raise ValueError(f"{path!r} is not under {root!r}.")
    return path[len(root) + 1:]


def listdir(path: str) -> List[str]:
    """The names in the folder `path`, sorted (object stores' trailing `/` removed)."""
    return sorted(name.rstrip("/") for name in _gfile().listdir(path))


def walk(root: str) -> Iterator[Tuple[str, List[str], List[str]]]:
    """`os.walk` over any file system: `(folder, subfolders, files)`, top-down; sorting or pruning
    `subfolders` in place steers the walk, as with `os.walk`."""
    gfile = _gfile()
    folder = root.rstrip("/") or root
    names = listdir(folder)
    subdirs = [n for n in names if gfile.isdir(join(folder, n))]
    files = [n for n in names if n not in set(subdirs)]
    yield folder, subdirs, files
    for name in list(subdirs):
        yield from walk(join(folder, name))


def read_bytes(path: str) -> bytes:
    """The whole content of the file `path`.

    Example:

    >>> import tensorflow as tf
    >>> with tf.io.gfile.GFile("ram://read-bytes-doc.txt", "wb") as f:
    ...     _ = f.write(b"hello")
    >>> read_bytes("ram://read-bytes-doc.txt")
    b'hello'
    """
    with _gfile().GFile(path, "rb") as f:
        return f.read()


# ------------------------------------------------------------------------ writing

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
        under = root.rstrip("/")[len(folder):].lstrip("/")
        for name in names:
            path = f"{under}/{name}" if under else name
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
    for name in list_files(folder):
        tf.io.gfile.remove(f"{folder}/{name}")
    folders = [root.rstrip("/") for root, _, _ in tf.io.gfile.walk(folder)]
    for path in sorted(folders, key=len, reverse=True):
        try:
            tf.io.gfile.rmtree(path)
        except tf.errors.NotFoundError:
            pass
