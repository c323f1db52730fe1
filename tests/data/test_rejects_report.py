import json

import pytest

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError


def test_counts_always_add_up():
    report = RejectsReport(max_reject_fraction=0.5)
    for _ in range(3):
        report.accept()
    report.reject("a.csv", 4, "empty text: blank", "  ")
    assert (report.read, report.used, report.rejected) == (4, 3, 1)
    assert report.read == report.used + report.rejected
    assert report.reasons() == {"empty text": 1}


def test_write_lists_every_reject_with_location(tmp_path):
    report = RejectsReport()
    report.accept()
    report.reject("a.csv", 7, "wrong number of columns: expected 2, got 3")
    report.reject("b/x.txt", None, "invalid UTF-8: byte 0xa3")
    text_path = report.write(str(tmp_path))
    text = open(text_path).read()
    assert "a.csv:7: wrong number of columns" in text
    assert "b/x.txt: invalid UTF-8" in text
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert [json.loads(x)["line"] for x in lines] == [7, None]
    assert json.loads((tmp_path / "summary.json").read_text())["rejected"] == 2


def test_check_fails_past_fraction_naming_first_reject_and_report():
    report = RejectsReport(max_reject_fraction=0.01)
    for _ in range(10):
        report.accept()
    report.reject("k.csv", 3, "missing label: no value for 'label'")
    with pytest.raises(DataError, match=r"1 of 11 records were rejected .*k\.csv:3: missing label.*report\.txt"):
        report.check("report.txt")


def test_check_passes_under_fraction_and_fails_with_no_usable_rows():
    report = RejectsReport(max_reject_fraction=0.5)
    report.accept()
    report.reject("k.csv", 2, "empty text")
    report.check()
    with pytest.raises(DataError, match="No usable knowledge records"):
        RejectsReport().check()


def test_invalid_fraction_is_rejected_early():
    with pytest.raises(ValueError, match=r"max_reject_fraction must be in \[0, 1\]. Received: max_reject_fraction=2"):
        RejectsReport(2)
