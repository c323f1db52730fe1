"""What `kerasknow predict` sends: texts or image paths from arguments, a file, or stdin."""
import csv
import io
import json
import os
import sys
from typing import IO, List, Optional, Sequence

from kerasknow.errors import ConfigError

_DELIMITERS = {".csv": ",", ".tsv": "\t"}


def read_input_file(path: str, flag: str) -> bytes:
    """A local file's bytes, or a URI's (`gs://`, `s3://`, `hdfs://`) through TensorFlow's file
    systems, which load only then: the client itself imports no TensorFlow.

    Raises:
        ConfigError: When the file does not exist.
    """
    if "://" in str(path):
        import tensorflow as tf

        if not tf.io.gfile.exists(path) or tf.io.gfile.isdir(path):
            raise ConfigError(f"Input file not found ({flag}). Received: {path!r}")
        with tf.io.gfile.GFile(path, "rb") as f:
            return f.read()
    if not os.path.isfile(path):
        raise ConfigError(f"Input file not found ({flag}). Received: {path!r}")
    with open(path, "rb") as f:
        return f.read()

def _rows_of_table(text: str, delimiter: str, column: str, source: str) -> List[str]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if column not in (reader.fieldnames or []):
        raise ConfigError(f"{source} has no column {column!r} (--column). Received columns: {reader.fieldnames}")
    return [row[column] for row in reader if row.get(column) is not None]


def _rows_of_jsonl(text: str, column: str, source: str) -> List[str]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{source}:{number}: not a JSON object ({e.msg}). Received: {line[:80]!r}") from None
        if not isinstance(record, dict) or column not in record:
            raise ConfigError(f"{source}:{number}: no key {column!r} (--column). Received: {line[:80]!r}")
        rows.append(str(record[column]))
    return rows


def rows_of(text: str, source: str, column: str = "text") -> List[str]:
    """The inputs in `text` read from `source`: a CSV/TSV (by extension) or JSONL file's `column`,
    else one input per non-blank line.

    Example:

    >>> rows_of("text,label\\nShares rose,business\\n", "new.csv")
    ['Shares rose']
    >>> rows_of("first\\n\\nsecond\\n", "-")
    ['first', 'second']
    """
    ext = os.path.splitext(source)[1].lower()
    if ext in _DELIMITERS:
        return _rows_of_table(text, _DELIMITERS[ext], column, source)
    if ext in (".jsonl", ".ndjson", ".json"):
        return _rows_of_jsonl(text, column, source)
    return [line for line in text.splitlines() if line.strip()]


def read_inputs(arguments: Sequence[str], input_file: Optional[str] = None, column: str = "text",
                stdin: Optional[IO[str]] = None, stdin_if_none: bool = True) -> List[str]:
    """The inputs: the arguments, then `input_file`'s rows (`-` is stdin), or stdin's lines when
    there are neither, `stdin_if_none` and stdin is not a terminal.

    Raises:
        ConfigError: For a missing file or column.
    """
    stdin = stdin if stdin is not None else sys.stdin
    inputs = list(arguments)
    if input_file == "-":
        inputs += rows_of(stdin.read(), "-", column)
    elif input_file:
        inputs += rows_of(read_input_file(input_file, "--input").decode("utf-8"), input_file, column)
    elif not inputs and stdin_if_none and stdin is not None and not stdin.isatty():
        inputs += rows_of(stdin.read(), "-", column)
    return inputs
