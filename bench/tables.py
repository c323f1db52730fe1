"""Regenerates the benchmarks' tables in docs/performance.md from their JSON results."""
import os
from typing import List, Optional, Sequence

from bench.common.replace_table import replace_table
from bench.common.results import Results
from bench.registry import BENCHMARKS, load_benchmark

#: The document the tables live in.
PERFORMANCE_DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                               "performance.md")


def regenerate_tables(names: Sequence[str] = BENCHMARKS, doc: str = PERFORMANCE_DOC,
                      results: Optional[Results] = None) -> List[str]:
    """Rewrites, between its markers in `doc`, every table of the named benchmarks that has a result.

    Nothing runs: the tables come from the JSON already in `results`. A benchmark without
    tables, or whose results do not exist yet, leaves the document as it is.

    Args:
        names: The benchmarks whose tables to rewrite.
        doc: The Markdown document.
        results: Where the results are; `Results()` (bench/results) by default.

    Returns:
        The names of the tables rewritten (whether or not their text changed).

    Raises:
        ValueError: For an unknown benchmark, or a table whose markers are missing from `doc`.
    """
    results = results or Results()
    with open(doc, encoding="utf-8") as f:
        original = f.read()
    text, written = original, []
    for name in names:
        tables = getattr(load_benchmark(name), "tables", None)
        for table_name, table in (tables(results) if tables else {}).items():
            text = replace_table(text, table_name, table)
            written.append(table_name)
    if text != original:
        with open(doc, "w", encoding="utf-8") as f:
            f.write(text)
    return written
