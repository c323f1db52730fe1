"""Every benchmark runs in smoke mode and writes well-formed figures, so none silently rots.

Each runs as `python -m bench --smoke NAME` in a process of its own: benchmarks set
process-wide state (the mixed-precision policy, `XLA_FLAGS`, which XLA reads once per process)
and xla_cpu_flags starts child processes. Smoke runs are mostly single-threaded Python (imports,
building models), so two run at a time. The figures are not judged: smoke runs measure
nothing; they only have to be there and finite.
"""
import concurrent.futures
import json
import math
import os
import subprocess
import sys

import pytest

from bench.registry import BENCHMARKS, load_benchmark

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST = "test_smoke_run_writes_finite_figures"


def _smoke(name: str, out: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    return subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", out, name], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=480)


@pytest.fixture(scope="module")
def smoke_runs(request, tmp_path_factory):
    """Benchmark name -> (future of its smoke run, its result file), for the benchmarks selected."""
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "originalname", "") == TEST and hasattr(item, "callspec")]
    folder = tmp_path_factory.mktemp("smoke")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: (pool.submit(_smoke, name, str(folder / f"{name}.json")), folder / f"{name}.json")
               for name in names}


def _numbers(value):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_smoke_run_writes_finite_figures(name, smoke_runs):
    future, out = smoke_runs[name]
    done = future.result()
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-6000:]
    assert f"{name}: " in done.stdout and " s, result in " in done.stdout  # the runner's line

    record = json.loads(out.read_text(encoding="utf-8"))
    assert (record["benchmark"], record["mode"]) == (name, "smoke")
    assert {"cpu", "cores", "tensorflow", "load_average_before"} <= set(record["environment"])
    figures = record["figures"]
    assert set(load_benchmark(name).FIGURES) <= set(figures)
    numbers = list(_numbers(figures))
    assert numbers, figures
    assert all(math.isfinite(x) for x in numbers), figures
