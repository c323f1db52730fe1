"""The TFRecord files an input pipeline reads, from the patterns TFX hands the module file."""
import os
from typing import List, Sequence, Union

from kerasknow.errors import ConfigError, DataError


def expand_tfrecord_files(file_pattern: Union[str, os.PathLike, Sequence[str]]) -> List[str]:
    """Files of a glob, a folder (its `*.gz`), or a list of those, each pattern's matches sorted.

    Args:
        file_pattern: What `FnArgs.train_files` / `eval_files` hold, e.g.
            `"<examples>/Split-train/*"`, a split folder, or a list of either.

    Returns:
        The matching file paths, in pattern order.

    Raises:
        ConfigError: When `file_pattern` is empty or not strings/paths.
        DataError: When nothing matches.

    Example:

    ```python
    expand_tfrecord_files("out/Split-train")
    # -> ['out/Split-train/data_tfrecord-00000-of-00001.gz']
    ```
    """
    import tensorflow as tf

    patterns = [file_pattern] if isinstance(file_pattern, (str, os.PathLike)) else list(file_pattern or [])
    if not patterns or not all(isinstance(p, (str, os.PathLike)) for p in patterns):
        raise ConfigError("`file_pattern` must be a glob pattern, a directory, or a non-empty list of them. "
                          f"Received: file_pattern={file_pattern!r}")
    files: List[str] = []
    for pattern in patterns:
        pattern = os.fspath(pattern)
        if tf.io.gfile.isdir(pattern):
            pattern = os.path.join(pattern, "*.gz")
        files.extend(sorted(tf.io.gfile.glob(pattern)))
    if not files:
        raise DataError(f"No TFRecord files match `file_pattern`. Received: file_pattern={file_pattern!r}. "
                        "Fix: point it at the ExampleGen split folder or its files, e.g. "
                        "'<examples>/Split-train/*.gz'.")
    return files
