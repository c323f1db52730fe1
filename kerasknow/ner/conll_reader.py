"""Reads CoNLL-style NER files: one `token<TAB or space>tag` per line, a blank line between sentences."""
import codecs
import collections
import dataclasses
from typing import Iterator, List, Optional, Tuple

from kerasknow.config.settings import setting
from kerasknow.data import file_system as fs
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.data.utf8 import describe_invalid_utf8, foreign_bom
from kerasknow.errors import ConfigError, DataError
from kerasknow.ner.bio import invalid_continuations, is_valid_tag, looks_like_iob1, to_iob2

DOCSTART = "-DOCSTART-"


@dataclasses.dataclass
class _Sentence:
    first_line: int
    tokens: List[str] = dataclasses.field(default_factory=list)
    tags: List[str] = dataclasses.field(default_factory=list)
    # (line, reason, excerpt) of the first unusable line, and how many more there were.
    problem: Optional[Tuple[int, str, str]] = None
    more_problems: int = 0

    def fail(self, line: int, reason: str, excerpt: str) -> None:
        if self.problem is None:
            self.problem = (line, reason, excerpt)
        else:
            self.more_problems += 1


class ConllReader:
    """Reads NER knowledge in CoNLL format into one record per sentence.

    Format: one token per line, the token in the first column and the tag in `tag_column`
    (default: the last), columns separated by tabs (when a line has one) or runs of spaces. A
    whitespace-only line ends a sentence; `-DOCSTART-` lines are skipped. Extra columns (POS,
    chunk tags, as in CoNLL-2003) are allowed when every line of a file has the same number of
    columns. Files in IOB1 (entities begin with `I-`) are detected per file and converted to IOB2.

    Bad input never vanishes: a sentence with a bad line (wrong column count, empty token or tag,
    invalid UTF-8, a tag not of the form `O`/`B-<type>`/`I-<type>`) is rejected as a whole and
    reported at the first offending line with the reason. An `I-<type>` without a preceding
    `B-<type>`/`I-<type>` in an IOB2 file is kept as is (knowledge validation reports it as an
    error, so the user sees it) unless `repair_bio` is True, in which case it becomes
    `B-<type>` and `repaired` counts it.

    Records have features `tokens` and `tags` (lists of str), key = the tokens joined by spaces,
    `source` = the file and `line` = the sentence's first line.

    Args:
        path: A CoNLL file, or a folder of them (every non-hidden file below it, in sorted order).
        tag_column: Column of the tag (0-based; negative counts from the end; not 0, the token).
        repair_bio: Turn invalid `I-` continuations into `B-` instead of keeping them.

    Raises:
        ConfigError: For a `tag_column` that is not an int or points at the token column.
        DataError: When `path` does not exist or a folder holds no files.

    Example:

    ```python
    report = RejectsReport()
    records = list(ConllReader("wnut.conll").read(report))
    records[0].features["tags"][:3]
    # -> ['O', 'B-person', 'I-person']
    ```
    """

    def __init__(self, path: str, tag_column: int = -1, repair_bio: bool = False):
        if isinstance(tag_column, bool) or not isinstance(tag_column, int) or tag_column == 0:
            raise ConfigError(
                f"{setting('ingest.tag_column')} must be a non-zero int (column 0 holds the token; -1 is the last "
                "column). "
                f"Received: tag_column={tag_column!r}"
            )
        if not path:
            raise DataError(f"No knowledge data given: set {setting('data')} to a CoNLL file or folder. "
                            "Received: data=''")
        if not fs.exists(path):
            raise DataError(f"Knowledge data not found ({setting('data')}). Received: data={path!r}")
        self.path = path
        self.tag_column = tag_column
        self.repair_bio = repair_bio
        self.files = self._list_files()
        #: Invalid `I-` continuations turned into `B-` (only with `repair_bio`).
        self.repaired = 0
        #: Files detected as IOB1 and converted to IOB2.
        self.iob1_files: List[str] = []

    def _list_files(self) -> List[str]:
        if not fs.isdir(self.path):
            return [self.path]
        files = []
        for root, dirs, names in fs.walk(self.path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files.extend(fs.join(root, n) for n in sorted(names) if not n.startswith("."))
        if not files:
            raise DataError(f"Knowledge folder {self.path} holds no files: expected CoNLL files "
                            "(one `token<TAB>tag` per line, a blank line between sentences).")
        return files

    def read(self, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields one record per usable sentence; `report` gets every sentence read.

        Raises:
            DataError: When a file is in another encoding than UTF-8 (a UTF-16/32 byte-order
                mark) or `tag_column` is outside the columns of a file.
        """
        for path in self.files:
            yield from self._read_file(path, report)

    def _read_file(self, path: str, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        data = fs.read_bytes(path)
        bom = foreign_bom(data[:4])
        if bom:
            raise DataError(f"{path} is encoded as {bom} (byte-order mark found); kerasknow reads CoNLL "
                            "files as UTF-8. Fix: re-save the file as UTF-8.")
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        sentences = list(self._sentences(path, data))
        good = [s for s in sentences if s.problem is None]
        iob1 = looks_like_iob1(s.tags for s in good)
        if iob1:
            self.iob1_files.append(path)
        for sentence in sentences:
            if sentence.problem is not None:
                line, reason, excerpt = sentence.problem
                if sentence.more_problems:
                    reason += f" (and {sentence.more_problems} more bad line(s) in this sentence)"
                report.reject(path, line, reason, excerpt)
                continue
            tags = sentence.tags
            if iob1:
                tags = to_iob2(tags)
            elif self.repair_bio:
                self.repaired += len(invalid_continuations(tags))
                tags = to_iob2(tags)
            report.accept()
            yield KnowledgeRecord(features={"tokens": sentence.tokens, "tags": tags},
                                  key=" ".join(sentence.tokens), source=path, line=sentence.first_line)

    def _sentences(self, path: str, data: bytes) -> Iterator[_Sentence]:
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        expected = self._expected_columns(path, lines)
        tag_index = self.tag_column if self.tag_column > 0 else expected + self.tag_column
        if expected and not 0 < tag_index < expected:
            raise DataError(
                f"tag_column={self.tag_column} is outside the {expected} columns of {path} (column 0 is "
                "the token). Fix: set tag_column to the tag's column index (-1 = last)."
            )
        current: Optional[_Sentence] = None
        for number, raw in enumerate(lines, start=1):
            raw = raw.rstrip(b"\r")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                if current is None:
                    current = _Sentence(number)
                current.fail(number, f"{describe_invalid_utf8(raw, e)} in line {number}",
                             raw[:80].decode("utf-8", "replace"))
                continue
            if not line.strip():
                if current is not None:
                    yield current
                current = None
                continue
            fields = _split(line)
            if fields[0] == DOCSTART:
                if current is not None:
                    yield current
                current = None
                continue
            if current is None:
                current = _Sentence(number)
            reason = self._problem(fields, expected, tag_index, number)
            if reason:
                current.fail(number, reason, line[:80])
                continue
            current.tokens.append(fields[0])
            current.tags.append(fields[tag_index])
        if current is not None:
            yield current

    @staticmethod
    def _expected_columns(path: str, lines: List[bytes]) -> int:
        """The column count most lines of the file have (bad lines are a minority)."""
        counts = collections.Counter()
        for raw in lines:
            try:
                line = raw.rstrip(b"\r").decode("utf-8")
            except UnicodeDecodeError:
                continue
            if line.strip():
                fields = _split(line)
                if fields[0] != DOCSTART:
                    counts[len(fields)] += 1
        if not counts:
            return 0
        (best, _), = counts.most_common(1)
        return max(best, 2)

    @staticmethod
    def _problem(fields: List[str], expected: int, tag_index: int, number: int) -> str:
        if len(fields) == 1 or (len(fields) == expected and not fields[tag_index]):
            return (f"empty tag: line {number} has a token but no tag. Expected `token<TAB>tag` "
                    f"({expected} columns)")
        if len(fields) != expected:
            return (f"wrong column count: line {number} has {len(fields)} columns, expected {expected} "
                    "like the rest of this file")
        if not fields[0]:
            return f"empty token: line {number} has a tag but no token"
        tag = fields[tag_index]
        if not is_valid_tag(tag):
            return (f"unknown tag format: {tag!r} in line {number} is not 'O', 'B-<type>' or "
                    "'I-<type>'")
        return ""


def _split(line: str) -> List[str]:
    # Tabs win: then a token may contain spaces. Otherwise runs of spaces separate columns.
    # Trailing separators are dropped so `token<TAB>` reads as a missing tag.
    line = line.rstrip(" \t\f\v")
    if "\t" in line:
        return [f.strip() for f in line.split("\t")]
    return line.split()
