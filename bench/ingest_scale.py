"""Ingest + knowledge validation (`kerasknow validate`) at 10k, 100k and 1M text rows on Beam's multi-process DirectRunner.

Synthetic but realistic rows: each is one to four consecutive sentences of a BBC News article
(seeded sampling), perturbed (a few words dropped, some case changes), labelled with the
article's class, plus a small share of unusable rows (empty text, missing label) that ingest
rejects; written as a folder of CSV shards, the layout a data export has and the one ingest reads
in parallel (one part per file). Each measurement is a fresh `kerasknow validate` process
(KnowledgeExampleGen, StatisticsGen, SchemaGen, KnowledgeValidator, all Beam) with
`--direct_running_mode=multi_processing --direct_num_workers=N`; its wall time and the peak of
the summed resident memory of it and its Beam workers (polled every 0.2 s) are recorded.

Figures: seconds, cost per row (microseconds) and peak memory at each size with 2 workers; the
cost-per-row and memory ratios of the largest size over the smallest (targets: within 1.5x, and
flat); the cost per added row between sizes (each run pays its processes' start-up once); and
1 worker vs 2 at `--compare-rows`, the two runs back to back, in alternating order over rounds
(target: at least 1.6x); its 2-worker run is also that size's figure. Nothing asserts a time.
A smoke run runs ingest and the checks in its own process instead (`check_in_process`).

    python -m bench ingest_scale                                  # 10k, 100k, 1M (about an hour on 2 cores)
    python -m bench ingest_scale --sizes 10000,100000             # without the 1M rows
"""
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time

from bench.common.bounded_int import bounded_int

FIGURES = ("sizes", "seconds", "us_per_row", "peak_rss_mb", "cost_ratio", "memory_ratio", "workers",
           "speedup_2_over_1")
SMOKE = {"sizes": "200", "compare_rows": 200, "shards": 2, "rounds": 1}
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def add_arguments(parser):
    """The options: `--sizes`, `--compare-rows`, `--shards`, `--rounds`, `--seed`."""
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="comma-separated row counts, each validated with 2 workers")
    parser.add_argument("--compare-rows", type=bounded_int(10), default=100000,
                        help="rows of the 1-worker vs 2-worker comparison")
    parser.add_argument("--shards", type=bounded_int(1), default=16, help="CSV files the rows are written to")
    parser.add_argument("--rounds", type=bounded_int(1), default=1,
                        help="rounds of the 1-vs-2-worker pair (the order flips each round)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")


def _sentences():
    """BBC News as `(label, [sentences])` per article."""
    from kerasknow.demo import bbc_news_dir

    root = bbc_news_dir()
    articles = []
    for label in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, label))):
            with open(os.path.join(root, label, name), encoding="utf-8", errors="replace") as f:
                body = " ".join(f.read().split())
            sentences = [s for s in _SENTENCE.split(body) if len(s.split()) > 3]
            if sentences:
                articles.append((label, sentences))
    return articles


def write_rows(folder: str, rows: int, shards: int, seed: int) -> int:
    """Writes `rows` synthetic rows (about 0.5% unusable) into `shards` CSV files; returns the bad rows."""
    rng = random.Random(seed)
    articles = _sentences()
    os.makedirs(folder, exist_ok=True)
    files = [open(os.path.join(folder, f"part-{i:05d}.csv"), "w", encoding="utf-8", newline="") for i in range(shards)]
    writers = [csv.writer(f) for f in files]
    for w in writers:
        w.writerow(["text", "label"])
    bad = 0
    try:
        for i in range(rows):
            label, sentences = articles[rng.randrange(len(articles))]
            if rng.random() < 0.005:
                bad += 1
                writers[i % shards].writerow(["", label] if rng.random() < 0.5 else [sentences[0], ""])
                continue
            start = rng.randrange(len(sentences))
            words = " ".join(sentences[start:start + rng.randint(1, 4)]).split()
            words = [w.upper() if rng.random() < 0.01 else w for w in words if rng.random() > 0.03] or words[:1]
            writers[i % shards].writerow([" ".join(words), label])
    finally:
        for f in files:
            f.close()
    return bad


class _PeakMemory:
    """The peak of the summed resident memory of a process and its descendants (Beam's workers)."""

    def __init__(self, pid: int, interval: float = 0.2):
        import psutil

        self._process = psutil.Process(pid)
        self._interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        import psutil

        while not self._stop.is_set():
            try:
                tree = [self._process] + self._process.children(recursive=True)
                total = 0
                for p in tree:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(self._interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def validate_once(data: str, output: str, checkpoint: str, workers: int) -> dict:
    """One `kerasknow validate` process: its seconds, peak memory and exit code."""
    command = [sys.executable, "-m", "kerasknow.cli", "validate", "--task", "text-classification", "--data", data,
               "--output", output, "--checkpoint", checkpoint, "--max-reject-fraction", "0.02",
               "--beam-arg=--direct_running_mode=multi_processing", f"--beam-arg=--direct_num_workers={workers}"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    memory = _PeakMemory(process.pid)
    out, _ = process.communicate(timeout=6 * 3600)
    seconds = time.perf_counter() - start
    peak = memory.stop()
    if process.returncode not in (0, 1) or "kerasknow knowledge report" not in out:
        raise RuntimeError(f"kerasknow validate failed (exit {process.returncode}):\n{out[-3000:]}")
    return {"seconds": seconds, "peak_rss_mb": peak / 2**20, "exit": process.returncode,
            "read_line": next((line.strip() for line in out.splitlines() if "KnowledgeExampleGen" in line), "")}


def check_in_process(data: str, workdir: str, checkpoint: str, workers: int) -> dict:
    """The smoke run's stand-in for `validate_once`: KnowledgeExampleGen's executor and the text
    checks' Beam pipeline in this process, on the in-process DirectRunner (`workers` is recorded,
    not used): the code path of a measurement minus the processes' start-up, which would take
    minutes on shared cores. A smoke run's figures mean nothing."""
    import apache_beam as beam

    from kerasknow.components.knowledge_validator.beam_checks import run_beam_checks
    from kerasknow.config import RunConfig
    from kerasknow.testing import run_example_gen
    from kerasknow.text.text_checks_transform import TextClassificationChecks

    cfg = RunConfig(data=data, output=os.path.join(workdir, "out"), ingest={"max_reject_fraction": 0.02},
                    model={"checkpoint": checkpoint})
    start = time.perf_counter()
    memory = _PeakMemory(os.getpid())
    examples, rejects = run_example_gen(cfg, os.path.join(workdir, "artifacts"))
    findings, _, _, _ = run_beam_checks(beam.Pipeline(), examples.uri, ["train", "eval"], cfg.task,
                                     TextClassificationChecks(cfg), os.path.join(workdir, "checks"))
    seconds = time.perf_counter() - start
    line = (f"{rejects.get_int_custom_property('read')} records: {rejects.get_int_custom_property('used')} used, "
            f"{rejects.get_int_custom_property('rejected')} rejected; {len(findings)} findings; {workers} worker(s)")
    return {"seconds": seconds, "peak_rss_mb": memory.stop() / 2**20, "exit": 0, "read_line": line}


def run(args, smoke: bool) -> dict:
    """Writes the data sets and validates each (2 workers), then the 1-vs-2-worker pair.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: A tiny random BERT's tokenizer (MiniLM's vocabulary) and the `SMOKE` sizes.

    Returns:
        The figures (`FIGURES`).
    """
    from bench.common.bert_checkpoint import bert_checkpoint

    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    measure = check_in_process if smoke else validate_once
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-ingest-") as workdir:
        checkpoint = bert_checkpoint(smoke, workdir)
        folders = {}
        for n in sorted(set(sizes + [args.compare_rows])):
            folders[n] = os.path.join(workdir, f"rows-{n}")
            bad = write_rows(folders[n], n, args.shards, args.seed)
            print(f"  wrote {n} rows ({bad} unusable) in {args.shards} CSV files", file=sys.stderr, flush=True)
        measured = {}
        pair = {1: [], 2: []}
        # The 1-vs-2-worker pair first, back to back; its first 2-worker run is also that size's figure.
        for r in range(args.rounds):
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                out = os.path.join(workdir, f"out-compare-{r}-{workers}")
                result = measure(folders[args.compare_rows], out, checkpoint, workers)
                pair[workers].append(result["seconds"])
                if workers == 2:
                    measured.setdefault(args.compare_rows, result)
                print(f"  compare round {r + 1}: {args.compare_rows} rows, {workers} worker(s): "
                      f"{result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB; {result['read_line']}",
                      file=sys.stderr, flush=True)
        for n in sizes:
            if n in measured:
                continue
            result = measure(folders[n], os.path.join(workdir, f"out-{n}-2"), checkpoint, 2)
            measured[n] = result
            print(f"  {n} rows, 2 workers: {result['seconds']:.1f} s, {1e6 * result['seconds'] / n:.0f} us/row, "
                  f"peak {result['peak_rss_mb']:.0f} MB; {result['read_line']}", file=sys.stderr, flush=True)
    seconds = {str(n): measured[n]["seconds"] for n in sizes}
    us_per_row = {str(n): 1e6 * measured[n]["seconds"] / n for n in sizes}
    peak = {str(n): measured[n]["peak_rss_mb"] for n in sizes}
    small, large = str(min(sizes)), str(max(sizes))
    speedups = [one / two for one, two in zip(pair[1], pair[2])]
    figures = {
        "sizes": sizes, "seconds": seconds, "us_per_row": us_per_row, "peak_rss_mb": peak,
        "cost_ratio": us_per_row[large] / us_per_row[small], "memory_ratio": peak[large] / peak[small],
        "workers": {"rows": args.compare_rows, "seconds_1": pair[1], "seconds_2": pair[2]},
        "speedup_2_over_1": sorted(speedups)[len(speedups) // 2],
        # Each run pays the processes' and pipelines' start-up once: the cost of the rows beyond
        # the previous size's, per row, is what the rows themselves cost.
        "marginal_us_per_row": {f"{a}-{b}": 1e6 * (seconds[str(b)] - seconds[str(a)]) / (b - a)
                                for a, b in zip(sorted(sizes), sorted(sizes)[1:])},
    }
    print(f"ingest + validation (kerasknow validate, DirectRunner multi_processing, 2 workers, {args.shards} CSV files):")
    for n in sizes:
        print(f"  {n:>8} rows  {seconds[str(n)]:8.1f} s  {us_per_row[str(n)]:7.0f} us/row  peak {peak[str(n)]:6.0f} MB")
    for span, cost in figures["marginal_us_per_row"].items():
        print(f"  rows {span}: {cost:7.0f} us per added row (the start-up paid once)")
    print(f"  cost per row {large} / {small} rows: {figures['cost_ratio']:.2f}x (target <= 1.5x); "
          f"peak memory {figures['memory_ratio']:.2f}x (target flat)")
    print(f"  {args.compare_rows} rows, 1 worker vs 2: {figures['speedup_2_over_1']:.2f}x faster with 2 "
          "(target >= 1.6x)")
    return figures
