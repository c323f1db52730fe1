"""`python -m bench [--smoke|--full] [NAME...]`: runs the benchmarks, writes their results and tables.

With one NAME the benchmark runs in this process and takes its own options
(`python -m bench text_throughput --train-examples 768`; `python -m bench NAME --help` lists
them). With several, or none (all), each runs in a child process of its own: benchmarks set
process-wide state (the mixed-precision policy, `XLA_FLAGS`, which XLA reads once per process),
so one must not measure under another's.
"""
import argparse
import os
import subprocess
import sys
import time
from typing import List, Optional, Sequence

from bench.registry import BENCHMARKS, load_benchmark
from bench.run_benchmark import benchmark_parser, run_benchmark
from bench.tables import PERFORMANCE_DOC, regenerate_tables

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", add_help=False, allow_abbrev=False,
        usage="python -m bench [--smoke | --full | --list | --tables] [--out FILE] [--doc FILE] [NAME ...] "
              "[NAME's options]",
        description="Runs kerasknow's benchmarks (all, or the NAMEs given), writes bench/results/<name>.json "
                    "and regenerates their tables in docs/performance.md.",
        epilog=f"Benchmarks: {', '.join(BENCHMARKS)}. `python -m bench NAME --help` shows NAME's own options "
               "(they need exactly one NAME).")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true",
                      help="each benchmark on a tiny input (under a minute each; checks the code, measures nothing): "
                           "results in bench/results/smoke/, no table rewritten")
    mode.add_argument("--full", action="store_true",
                      help="the measured configuration, the default: results in bench/results/, their "
                           "tables rewritten in --doc")
    mode.add_argument("--list", action="store_true", help="list the benchmarks and what each measures")
    mode.add_argument("--tables", action="store_true",
                      help="only regenerate the tables in --doc from the existing results; run nothing")
    parser.add_argument("--out", default="", metavar="FILE", help="with one NAME: write its result to this file instead")
    parser.add_argument("--doc", default=os.path.relpath(PERFORMANCE_DOC), metavar="FILE",
                        help="the document holding the tables (default: %(default)s)")
    parser.add_argument("-h", "--help", action="store_true", help="show this help (with one NAME: its options)")
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run; all when none is given")
    return parser


#: The runner's own options; benchmarks' options never use these names.
_FLAGS = ("--smoke", "--full", "--list", "--tables", "-h", "--help")
_VALUED = ("--out", "--doc")


def _split(argv: Sequence[str]):
    """`(runner's arguments, benchmark options)`: the runner's options wherever they stand and
    the NAMEs before the first other option, which starts the benchmark's options."""
    ours, rest = [], []
    tokens = iter(argv)
    for token in tokens:
        if token in _FLAGS:
            ours.append(token)
        elif token.split("=", 1)[0] in _VALUED:
            ours.append(token)
            value = None if "=" in token else next(tokens, None)
            if value is not None:  # else argparse says the value is missing
                ours.append(value)
        else:
            rest.append(token)
    first_option = next((i for i, token in enumerate(rest) if token.startswith("-")), len(rest))
    return ours + rest[:first_option], rest[first_option:]


def _run_children(names: Sequence[str], smoke: bool, doc: str) -> List[str]:
    """Runs each benchmark in a child process; returns the names of those that failed."""
    failed = []
    for name in names:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bench", "--smoke" if smoke else "--full",
                               "--doc", os.path.abspath(doc), name], cwd=_REPO)
        if done.returncode != 0:
            failed.append(name)
            print(f"{name}: FAILED (exit {done.returncode}) after {time.perf_counter() - started:.1f} s",
                  flush=True)
    return failed


def main(argv: Optional[Sequence[str]] = None) -> int:
    """The command line; see the module docstring and `python -m bench --help`.

    Args:
        argv: The arguments; `sys.argv[1:]` by default.

    Returns:
        The exit status: 0, or 1 when a benchmark failed.
    """
    parser = _parser()
    ours, options = _split(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(ours)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark. Expected names from {list(BENCHMARKS)}. Received: {unknown}")
    names = args.names or list(BENCHMARKS)
    if args.help:
        (benchmark_parser(names[0], args.smoke) if len(args.names) == 1 else parser).print_help()
        return 0
    if args.list:
        for name in BENCHMARKS:
            print(f"{name:<18} {load_benchmark(name).__doc__.strip().splitlines()[0]}")
        return 0
    if (options or args.out) and len(args.names) != 1:
        parser.error("benchmark options and --out need exactly one NAME. "
                     f"Received: names={args.names}, options={options}, out={args.out!r}")
    if args.tables:
        if options:
            parser.error(f"--tables runs nothing and takes no benchmark options. Received: {options}")
        tables = regenerate_tables(names, args.doc)
        print(f"tables regenerated in {args.doc}: {', '.join(tables) or 'none (no results)'}")
        return 0
    if len(names) == 1:
        run_benchmark(names[0], args.smoke, options, args.out, args.doc)
        return 0
    started = time.perf_counter()
    failed = _run_children(names, args.smoke, args.doc)
    print(f"{len(names)} benchmarks in {time.perf_counter() - started:.1f} s"
          + (f"; FAILED: {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
