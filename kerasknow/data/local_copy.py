"""A local copy of a file or folder on another file system, for libraries that read local files only."""
import hashlib
import json
import os
import shutil
import tempfile


def local_copy(uri: str, what: str = "path", cache_dir: str = "") -> str:
    """Copies a file or folder on any file system TensorFlow reads (`gs://`, `s3://`, `hdfs://`,
    `ram://`) to a local cache once, and returns the local path; a local path is returned as is.

    transformers' `from_pretrained`, tokenizers and HDF5 weight files read local files only. The
    copy is named by a hash of the URI and its files' sizes and modification times (a changed
    file is copied again) and appears whole or not at all (copied aside, then renamed).

    Args:
        uri: The file or folder.
        what: The setting it came from, for the error (`"model.checkpoint (--checkpoint)"`).
        cache_dir: Where copies go; default `$KERASKNOW_CACHE/copies` (`~/.cache/kerasknow/copies`).

    Returns:
        The local path.

    Raises:
        FileNotFoundError: When `uri` does not exist.

    >>> local_copy("/etc/hostname") == "/etc/hostname"
    True
    """
    import tensorflow as tf

    if "://" not in str(uri):
        return os.fspath(uri)
    uri = str(uri).rstrip("/")
    if not tf.io.gfile.exists(uri):
        raise FileNotFoundError(f"{what} does not exist. Received: {uri!r}")
    cache_dir = cache_dir or os.path.join(
        os.environ.get("KERASKNOW_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kerasknow"), "copies")
    files = _listing(uri)
    # Named by the URI and its files' sizes and times: a changed checkpoint is copied again.
    key = json.dumps([uri, files], sort_keys=True)
    target = os.path.join(cache_dir, hashlib.sha256(key.encode()).hexdigest()[:16], os.path.basename(uri))
    if os.path.exists(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = tempfile.mkdtemp(prefix=".partial-", dir=os.path.dirname(target))
    try:
        local = os.path.join(partial, "copy")
        if tf.io.gfile.isdir(uri):
            os.makedirs(local)
            for relative in files:
                os.makedirs(os.path.dirname(os.path.join(local, relative)), exist_ok=True)
                tf.io.gfile.copy(f"{uri}/{relative}", os.path.join(local, relative), overwrite=True)
        else:
            tf.io.gfile.copy(uri, local, overwrite=True)
        os.rename(local, target)
    except OSError:
        if not os.path.exists(target):  # a concurrent copy may have won the rename
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _listing(uri: str) -> dict:
    """Relative file path -> [size, modification time] of a folder's files, or of one file ("")."""
    import tensorflow as tf

    if not tf.io.gfile.isdir(uri):
        stat = tf.io.gfile.stat(uri)
        return {"": [stat.length, stat.mtime_nsec]}
    from kerasknow.data.file_system import list_files

    found = {}
    for relative in list_files(uri):
        stat = tf.io.gfile.stat(f"{uri}/{relative}")
        found[relative] = [stat.length, stat.mtime_nsec]
    return found
