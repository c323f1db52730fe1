"""Runs one benchmark in this process: parse its options, measure, check, write the result."""
import argparse
import os
import sys
import time
from typing import Optional, Sequence

from bench.common.check_figures import check_figures
from bench.common.environment import environment
from bench.common.results import RESULTS_DIR, SMOKE_RESULTS_DIR, Results
from bench.registry import load_benchmark
from bench.tables import PERFORMANCE_DOC, regenerate_tables


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the docstring's line breaks and shows every option's default."""


def _shown(path: str) -> str:
    """`path` relative to the working directory when it is below it, else absolute."""
    relative = os.path.relpath(path)
    return os.path.abspath(path) if relative.startswith("..") else relative


def benchmark_parser(name: str, smoke: bool) -> argparse.ArgumentParser:
    """Benchmark `name`'s option parser; in a smoke run its defaults are the smoke values.

    Args:
        name: A benchmark in `bench.registry.BENCHMARKS`.
        smoke: Put the benchmark's `SMOKE` values in place of its defaults (options given on
            the command line still win).

    Returns:
        An `argparse.ArgumentParser` whose `--help` shows the defaults.
    """
    module = load_benchmark(name)
    parser = argparse.ArgumentParser(prog=f"python -m bench {'--smoke ' if smoke else ''}{name}",
                                     description=module.__doc__, formatter_class=_Formatter)
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)
    if smoke:
        parser.set_defaults(**getattr(module, "SMOKE", {}))
    return parser


def run_benchmark(name: str, smoke: bool, options: Sequence[str] = (), out: str = "",
                  doc: str = PERFORMANCE_DOC, command: Optional[str] = None) -> str:
    """Runs benchmark `name`, writes its result and, after a full run, its tables in `doc`.

    Args:
        name: A benchmark in `bench.registry.BENCHMARKS`.
        smoke: A smoke run: tiny input, result in `bench/results/smoke/`, `doc` untouched.
        options: The benchmark's own command-line options, e.g. `["--rounds", "2"]`.
        out: Write the result here instead of `bench/results/[smoke/]<result name>.json`.
        doc: The document whose tables a full run rewrites.
        command: The command line to record; `python -m bench` and `sys.argv[1:]` by default.

    Returns:
        The path of the result written.

    Raises:
        ValueError: When the benchmark's figures lack a key of its `FIGURES` or hold a number
            that is not finite.
        SystemExit: For options the benchmark does not take (argparse's message).
    """
    module = load_benchmark(name)
    args = benchmark_parser(name, smoke).parse_args(list(options))
    before = environment()
    started = time.perf_counter()
    figures = module.run(args, smoke)
    wall_seconds = time.perf_counter() - started
    check_figures(figures, module.FIGURES)
    load_before = before.pop("load_average")
    machine = {**before, "load_average_before": load_before, "load_average_after": list(os.getloadavg())}
    record = {"benchmark": name, "mode": "smoke" if smoke else "full",
              "command": command or " ".join(["python -m bench", *sys.argv[1:]]),
              "args": vars(args), "environment": machine, "wall_seconds": wall_seconds, "figures": figures}
    results = Results(SMOKE_RESULTS_DIR if smoke else RESULTS_DIR)
    # A measured result may have a name of its own (docs name the file); a smoke run's is the benchmark's.
    path = results.write(name if smoke else getattr(module, "RESULT", name), record, out)
    print(f"{name}: {wall_seconds:.1f} s, result in {_shown(path)}", flush=True)
    if not smoke:
        tables = regenerate_tables([name], doc, results)
        if tables:
            print(f"{name}: tables {', '.join(tables)} regenerated in {_shown(doc)}", flush=True)
    return path
