"""docs/performance.md's generated tables come from bench/results and regenerate unchanged."""
import json
import os
import shutil

import pytest

from bench.common.results import RESULTS_DIR, Results
from bench.tables import PERFORMANCE_DOC, regenerate_tables


@pytest.fixture
def doc(tmp_path):
    path = tmp_path / "performance.md"
    shutil.copyfile(PERFORMANCE_DOC, path)
    return str(path)


def _between(text: str, name: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    return text[text.index(start) + len(start):text.index(end)]


def test_the_tables_regenerate_from_the_results_as_the_doc_has_them(doc):
    before = open(doc, encoding="utf-8").read()

    written = regenerate_tables(doc=doc)

    assert {"text_throughput", "xla_cpu_flags", "hash_dropout"} <= set(written)
    assert open(doc, encoding="utf-8").read() == before


def test_a_new_result_rewrites_its_table_between_its_markers_only(doc, tmp_path):
    results_dir = tmp_path / "results"
    results_dir.mkdir()
    with open(os.path.join(RESULTS_DIR, "xla_cpu_flags.json"), encoding="utf-8") as f:
        figures = json.load(f)
    figures.update(examples_per_s={"without": [20.0], "with": [25.0]}, ratio_per_round=[1.25], ratio_median=1.25)
    # The result writer's layout: the figures under "figures".
    Results(str(results_dir)).write("xla_cpu_flags", {"benchmark": "xla_cpu_flags", "figures": figures})
    before = open(doc, encoding="utf-8").read()

    assert regenerate_tables(["xla_cpu_flags"], doc, Results(str(results_dir))) == ["xla_cpu_flags"]

    after = open(doc, encoding="utf-8").read()
    table = _between(after, "xla_cpu_flags")
    assert "| batch 16 x 128, median step | 20.0 ex/s | 25.0 ex/s | **1.25x** (1.25) |" in table
    assert after.replace(table, "") == before.replace(_between(before, "xla_cpu_flags"), "")


def test_precision_xla_table_is_generated_once_a_result_exists(doc, tmp_path):
    per_s = {"float32": 10.0, "float32 + XLA": 20.0, "mixed_bfloat16": 25.0, "mixed_bfloat16 + XLA": 30.0}
    ratios = {k: v / 10.0 for k, v in per_s.items()}
    figures = {"families": {"text": {"batch": 16, "unit": "examples/s", "per_s": per_s, "vs_float32": ratios}}}
    Results(str(tmp_path)).write("precision_xla", {"figures": figures})

    assert regenerate_tables(["precision_xla"], doc, Results(str(tmp_path / "empty"))) == []
    assert regenerate_tables(["precision_xla"], doc, Results(str(tmp_path))) == ["precision_xla"]

    table = _between(open(doc, encoding="utf-8").read(), "precision_xla")
    assert ("| MiniLM, batch 16 x 128 tokens | 10.0 ex/s (1.00x) | 20.0 (2.00x) | 25.0 (2.50x) | 30.0 (3.00x) |"
            in table)
    assert "MobileNetV2" not in table  # only the families the result has


def test_a_doc_without_the_markers_is_an_error(tmp_path):
    doc = tmp_path / "plain.md"
    doc.write_text("# No tables here\n", encoding="utf-8")

    with pytest.raises(ValueError, match="Expected the markers <!-- bench:xla_cpu_flags:start -->"):
        regenerate_tables(["xla_cpu_flags"], str(doc))
    assert doc.read_text(encoding="utf-8") == "# No tables here\n"
