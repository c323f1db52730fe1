"""Reads labelled text from CSV/TSV, JSONL or a folder of `<label>/*.txt`."""
import codecs
import csv
import io
import json
import os
import re
from typing import Iterator, List, Tuple

from kerasknow.config.settings import setting
from kerasknow.data import file_system as fs
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.data.utf8 import decode_utf8, describe_invalid_utf8, foreign_bom
from kerasknow.errors import DataError

FORMATS = ("auto", "csv", "tsv", "jsonl", "folder")
_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}
_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """The identity of a text for duplicates, conflicts and the split: case- and space-folded."""
    return _SPACES.sub(" ", text).strip().casefold()


class TextClassificationReader:
    """Reads text-classification knowledge: one text and one label per record.

    Every record read is either yielded (and `report.accept()`ed) or rejected with its file, line
    and reason; nothing is dropped silently.

    Args:
        path: A file (`.csv`, `.tsv`, `.jsonl`) or a folder: either `<label>/*.txt` sub-folders
            or a folder of CSV/TSV/JSONL files.
        input_format: `"auto"` (from the extension or folder layout) or one of `csv`, `tsv`,
            `jsonl`, `folder`.
        text_column: Column (CSV/TSV) or key (JSONL) holding the text.
        label_column: Column or key holding the label.

    Raises:
        DataError: When `path` does not exist, a format cannot be recognised, a header lacks the
            columns, or a file is in another encoding than UTF-8.

    Example:

    ```python
    reader = TextClassificationReader("knowledge.csv")
    report = RejectsReport()
    records = list(reader.read(report))
    ```
    """

    def __init__(self, path: str, input_format: str = "auto", text_column: str = "text",
                 label_column: str = "label"):
        if input_format not in FORMATS:
            raise DataError(f"{setting('ingest.input_format')} must be one of {FORMATS}. "
                            f"Received: input_format={input_format!r}")
        if not path:
            raise DataError(f"No knowledge data given: set {setting('data')} to a CSV/TSV/JSONL file or a folder "
                            "of <label>/*.txt. Received: data=''")
        if not fs.exists(path):
            raise DataError(f"Knowledge data not found ({setting('data')}). Received: data={path!r}")
        self.path = path
        self.input_format = input_format
        self.text_column = text_column
        self.label_column = label_column
        self._plan = self._plan_files()

    # Which files, in which format, in a stable order.
    def _plan_files(self) -> List[Tuple[str, str]]:
        if not fs.isdir(self.path):
            return [(self.path, self._format_of(self.path))]
        entries = fs.listdir(self.path)
        subdirs = [e for e in entries if fs.isdir(fs.join(self.path, e))]
        if self.input_format == "folder" or (self.input_format == "auto" and subdirs):
            return [(self.path, "folder")]
        files = [fs.join(self.path, e) for e in entries if not e.startswith(".")]
        if not files:
            raise DataError(f"Knowledge folder {self.path} is empty: expected CSV/TSV/JSONL files or <label>/*.txt folders.")
        loose = [f for f in files if f.lower().endswith(".txt")]
        if loose and self.input_format == "auto":
            raise DataError(
                f"Knowledge folder {self.path} holds {len(loose)} loose .txt file(s) (e.g. "
                f"{fs.basename(loose[0])}) but no label folders. A text folder is <label>/*.txt: one subfolder per label, named by the label, "
                f"holding that label's texts (e.g. {fs.join(self.path, 'sports', fs.basename(loose[0]))}). "
                "Move the files into label folders, or give a CSV/TSV/JSONL file with text and label columns.")
        return [(f, self._format_of(f)) for f in files]

    def _format_of(self, path: str) -> str:
        if self.input_format not in ("auto", "folder"):
            return self.input_format
        ext = os.path.splitext(fs.basename(path))[1].lower()
        if ext not in _EXTENSIONS:
            raise DataError(
                f"Cannot tell the format of {path}: expected a .csv, .tsv or .jsonl file "
                f"(or set {setting('ingest.input_format')}). Received extension: {ext or '(none)'!r}"
            )
        return _EXTENSIONS[ext]

    def files(self) -> List[str]:
        """What it reads, one entry per file (a `<label>/*.txt` folder is one entry), in read order."""
        return [path for path, _ in self._plan]

    def read(self, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields one `KnowledgeRecord` (features `text`, `label`) per usable record."""
        for path, fmt in self._plan:
            if fmt == "folder":
                yield from self._read_folder(path, report)
            elif fmt == "jsonl":
                yield from self._read_jsonl(path, report)
            else:
                yield from self._read_delimited(path, "\t" if fmt == "tsv" else ",", report)

    def _record(self, text, label, source, line, report) -> Iterator[KnowledgeRecord]:
        """Checks one (text, label) pair; yields the record or rejects it."""
        if text is None:
            report.reject(source, line, f"missing text: no value for {self.text_column!r}")
        elif label is None or (isinstance(label, str) and not label.strip()):
            report.reject(source, line, f"missing label: no value for {self.label_column!r}", str(text))
        elif not isinstance(text, str):
            report.reject(source, line, f"text is not a string: got {type(text).__name__}", str(text))
        elif not text.strip():
            report.reject(source, line, "empty text: the text is empty or whitespace only")
        elif not isinstance(label, (str, int)) or isinstance(label, bool):
            report.reject(source, line, f"label is not a string or integer: got {type(label).__name__}", str(label))
        else:
            report.accept()
            yield KnowledgeRecord({"text": text, "label": str(label).strip()},
                                  key=normalize_text(text), source=source, line=line)

    @staticmethod
    def _read_bytes(path: str) -> bytes:
        data = fs.read_bytes(path)
        bom = foreign_bom(data[:4])
        if bom:
            raise DataError(f"{path} is encoded as {bom} (byte-order mark found); kerasknow reads UTF-8. "
                            f"Re-save it as UTF-8 (e.g. iconv -f UTF-16 -t UTF-8).")
        return data

    def _lines(self, path: str, report: RejectsReport):
        """Yields (line number, decoded line); lines that are not UTF-8 are rejected."""
        data = self._read_bytes(path)
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        for number, raw in enumerate(data.splitlines(keepends=True), start=1):
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as e:
                report.reject(path, number, describe_invalid_utf8(raw, e), raw[:80].decode("utf-8", "replace"))

    def _read_delimited(self, path: str, delimiter: str, report: RejectsReport):
        lines = self._lines(path, report)
        header_line = next(lines, None)
        if header_line is None:
            raise DataError(f"{path} is empty: expected a header row with columns "
                            f"{self.text_column!r} and {self.label_column!r}.")
        header = next(csv.reader([header_line[1]], delimiter=delimiter))
        header = [h.strip() for h in header]
        missing = [c for c in (self.text_column, self.label_column) if c not in header]
        if missing:
            raise DataError(
                f"{path}:1: the header lacks column(s) {missing}. Expected columns "
                f"{self.text_column!r} and {self.label_column!r} (set {setting('ingest.text_column')} and "
                f"{setting('ingest.label_column')}). "
                f"Received header: {header}"
            )
        ti, li, width = header.index(self.text_column), header.index(self.label_column), len(header)
        # csv handles quoted fields spanning lines: feed it one record's physical lines at a time.
        pending: List[str] = []
        start = 0
        for number, line in lines:
            if not pending:
                start = number
                if not line.strip():
                    report.reject(path, number, "blank line: expected a record")
                    continue
            pending.append(line)
            try:
                rows = list(csv.reader(io.StringIO("".join(pending)), delimiter=delimiter, strict=True))
            except csv.Error as e:
                if "EOF" in str(e) or "unexpected end of data" in str(e):
                    continue  # an open quote: the record goes on on the next line
                report.reject(path, start, f"unparsable line: {e}", "".join(pending))
                pending = []
                continue
            pending = []
            if len(rows) != 1 or len(rows[0]) != width:
                got = len(rows[0]) if rows else 0
                report.reject(path, start, f"wrong number of columns: expected {width}, got {got}", line)
                continue
            row = rows[0]
            yield from self._record(row[ti], row[li], path, start, report)
        if pending:
            report.reject(path, start, "unparsable line: unterminated quoted field at end of file", "".join(pending))

    def _read_jsonl(self, path: str, report: RejectsReport):
        for number, line in self._lines(path, report):
            if not line.strip():
                report.reject(path, number, "blank line: expected a JSON object")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                report.reject(path, number, f"unparsable line: invalid JSON ({e.msg} at column {e.colno})", line)
                continue
            if not isinstance(obj, dict):
                report.reject(path, number, f"unparsable line: expected a JSON object, got {type(obj).__name__}", line)
                continue
            yield from self._record(obj.get(self.text_column), obj.get(self.label_column), path, number, report)

    def _read_folder(self, root: str, report: RejectsReport):
        for dirpath, dirnames, filenames in fs.walk(root):
            dirnames.sort()
            rel = fs.relative(dirpath, root)
            for name in sorted(filenames):
                path = fs.join(dirpath, name)
                if rel == ".":
                    report.reject(path, None, "file outside a <label>/ folder: expected <label>/*.txt")
                    continue
                if not name.lower().endswith(".txt"):
                    report.reject(path, None, "not a .txt file: expected <label>/*.txt")
                    continue
                label = rel.split("/")[0]
                try:
                    text = decode_utf8(self._read_bytes(path))
                except UnicodeDecodeError as e:
                    report.reject(path, None, e.reason)
                    continue
                except DataError as e:
                    report.reject(path, None, str(e).replace(path + " ", ""))
                    continue
                yield from self._record(text, label, path, None, report)
