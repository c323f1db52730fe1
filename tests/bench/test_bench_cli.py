"""`python -m bench`'s command line: listing, tables, and the options it refuses."""
import shutil

import pytest

from bench.__main__ import main
from bench.registry import BENCHMARKS
from bench.tables import PERFORMANCE_DOC


def test_list_names_every_benchmark(capsys):
    assert main(["--list"]) == 0

    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(BENCHMARKS)


def test_tables_regenerates_the_doc_and_runs_nothing(tmp_path, capsys):
    doc = tmp_path / "performance.md"
    shutil.copyfile(PERFORMANCE_DOC, doc)

    assert main(["--tables", "--doc", str(doc)]) == 0

    assert "tables regenerated in" in capsys.readouterr().out
    assert doc.read_text(encoding="utf-8") == open(PERFORMANCE_DOC, encoding="utf-8").read()


def test_a_benchmarks_help_shows_its_options_and_the_smoke_defaults(capsys):
    assert main(["--smoke", "hash_dropout", "--help"]) == 0

    text = capsys.readouterr().out
    assert "--rounds ROUNDS" in text and "(default: 1)" in text


@pytest.mark.parametrize("argv, message", [
    (["no_such_bench"], "unknown benchmark. Expected names from"),
    (["--rounds", "2"], "benchmark options and --out need exactly one NAME"),
    (["hash_dropout", "xla_cpu_flags", "--out", "x.json"], "benchmark options and --out need exactly one NAME"),
    (["--smoke", "--full"], "not allowed with argument"),
])
def test_bad_command_lines_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit, match="2"):
        main(argv)

    assert message in capsys.readouterr().err


def test_a_benchmark_option_out_of_range_is_refused_while_parsing(capsys):
    with pytest.raises(SystemExit, match="2"):
        main(["hash_dropout", "--rounds", "0"])

    assert "expected an integer >= 1. Received: '0'" in capsys.readouterr().err
