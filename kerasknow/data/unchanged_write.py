"""Writes a local file only when its bytes change, so an unchanged file keeps its modification time.

KnowledgeExampleGen fingerprints its input files by name, size and modification time
(`fingerprint_inputs`): data written again with the same bytes (the demo's subsets, rerun on the
same output) would otherwise look changed, and TFX would ingest and train again.
"""
import os


def write_if_changed(path: str, data: bytes) -> bool:
    """Writes `data` to `path` unless the file already holds exactly these bytes.

    The new bytes go to a temporary file beside `path`, then replace it (no half-written file).

    Args:
        path: A local file path; its folder is created.
        data: The file's bytes.

    Returns:
        True when the file was written, False when it was left as it was.

    Example:

    >>> import tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a", "f.txt")
    >>> write_if_changed(path, b"x"), write_if_changed(path, b"x"), write_if_changed(path, b"y")
    (True, False, True)
    """
    if os.path.isfile(path) and os.path.getsize(path) == len(data):
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)
    return True
