"""Results: one JSON file per result name; the figures read back from either layout."""
import json

from bench.common.results import Results


def test_write_then_read_the_figures(tmp_path):
    results = Results(str(tmp_path / "results"))

    path = results.write("probe", {"benchmark": "probe", "figures": {"ratio": 1.5}})

    assert path == str(tmp_path / "results" / "probe.json")
    assert results.figures("probe") == {"ratio": 1.5}


def test_out_writes_elsewhere(tmp_path):
    path = Results(str(tmp_path)).write("probe", {"figures": {}}, out=str(tmp_path / "other" / "x.json"))

    assert path == str(tmp_path / "other" / "x.json")
    assert json.loads(open(path, encoding="utf-8").read()) == {"figures": {}}


def test_a_result_from_before_the_writer_holds_its_figures_at_the_top(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps({"ratio_median": 1.1}), encoding="utf-8")

    assert Results(str(tmp_path)).figures("old") == {"ratio_median": 1.1}


def test_a_missing_result_is_none(tmp_path):
    assert Results(str(tmp_path)).figures("absent") is None
