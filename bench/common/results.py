"""The benchmarks' JSON results: `bench/results/<name>.json`, smoke runs apart."""
import json
import os
from typing import Optional

#: Measured results, committed; docs/performance.md's tables are generated from them.
RESULTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "results")
#: Smoke runs' results: git-ignored (bench/.gitignore), so a smoke run never overwrites a measurement.
SMOKE_RESULTS_DIR = os.path.join(RESULTS_DIR, "smoke")


class Results:
    """A folder of benchmark results, one JSON file per result name.

    Each file holds `benchmark`, `mode` (`"full"` or `"smoke"`), `command`, `args`,
    `environment` (`bench.common.environment`), `wall_seconds` and `figures` (what the
    benchmark's `run` returned). Files written before this writer existed hold their figures
    at the top level; `figures()` reads both.

    Args:
        directory: The folder; `RESULTS_DIR` by default.

    Example:

    >>> Results().figures("xla_cpu_flags")["ratio_median"]  # doctest: +SKIP
    1.0993068275688682
    """

    def __init__(self, directory: str = RESULTS_DIR):
        self.directory = directory

    def path(self, name: str) -> str:
        """`<directory>/<name>.json`."""
        return os.path.join(self.directory, f"{name}.json")

    def write(self, name: str, record: dict, out: str = "") -> str:
        """Writes one run's record (the keys in the class docstring) as JSON.

        Args:
            name: The result name; the file is `path(name)` unless `out` is given.
            record: The record; must be JSON-serialisable.
            out: Another file to write instead.

        Returns:
            The path written.
        """
        path = out or self.path(name)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=2)
            f.write("\n")
        return path

    def figures(self, name: str) -> Optional[dict]:
        """The figures of result `name`, or None when there is no such result."""
        if not os.path.isfile(self.path(name)):
            return None
        with open(self.path(name), encoding="utf-8") as f:
            record = json.load(f)
        return record.get("figures", record)
