"""The knowledge readers' file access, through TensorFlow's file systems (`gs://`, `s3://`, `hdfs://`,
`ram://` and local paths alike).

The readers never call `os.path`'s file-system functions or `open` on a user's path: those see only
local files, so `--data gs://bucket/knowledge` would read as "not found". Paths are joined and
compared as strings with `/` (a URI's separator, and the local one on the platforms kerasknow runs on).
"""
from typing import Iterator, List, Tuple


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
    >>> with tf.io.gfile.GFile("ram://knowledge_files_doc.txt", "wb") as f:
    ...     _ = f.write(b"hello")
    >>> read_bytes("ram://knowledge_files_doc.txt")
    b'hello'
    """
    with _gfile().GFile(path, "rb") as f:
        return f.read()
