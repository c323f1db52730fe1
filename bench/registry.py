"""The benchmarks `python -m bench` runs, and how to load one.

A benchmark is a module `bench.<name>` with:

- a docstring whose first line says what it measures (`--list` prints it);
- `run(args, smoke) -> dict`: measures and returns its figures (JSON-serialisable); `smoke`
  swaps in tiny models and data, so the run takes seconds and only checks the code works;
- `FIGURES`: the keys its figures always have (checked before they are written);
- optionally `add_arguments(parser)` (its options, defaults being the measured
  configuration; the runner's own `--smoke`, `--full`, `--list`, `--tables`, `--out`, `--doc`
  and `-h` are taken), `SMOKE` (the options' values in a smoke run), `RESULT` (its result's name
  when not the benchmark's) and `tables(results) -> {marker name: Markdown table}` (its tables
  in docs/performance.md, from `bench.common.results.Results`; a table whose result does not
  exist is left out).
"""
import importlib

#: Every benchmark, in the order `python -m bench` runs them.
BENCHMARKS = ("text_throughput", "xla_cpu_flags", "hash_dropout", "precision_xla", "image_throughput",
              "image_demo_sizing", "predict_startup", "knowledge_update",
              "finetune_strategies", "tuner_choice", "tuner_memory", "ingest_scale")


def load_benchmark(name: str):
    """Imports benchmark `name` (cheap: benchmarks import TensorFlow only when they run).

    Args:
        name: One of `BENCHMARKS`.

    Returns:
        The benchmark's module.

    Raises:
        ValueError: For a name not in `BENCHMARKS`.
    """
    if name not in BENCHMARKS:
        raise ValueError(f"Unknown benchmark. Expected one of {list(BENCHMARKS)}. Received: name={name!r}")
    return importlib.import_module(f"bench.{name}")
