"""The development server's costs, side by side in one run: gRPC vs in-process, batching at 16
clients, and hot swaps under load.

One text classifier (MiniLM, all-MiniLM-L6-v2, with an untrained 5-class head: speed does not
depend on the head's weights; `--tiny` for a 2-layer BERT) is exported once and served from a
model base path; the texts are real BBC News paragraphs.

1. **gRPC vs in-process** at batch 1: `PredictionClient.predict_texts([text])` against
   `DevModelServer` vs calling the SavedModel's `serving_default` in this process, alternating
   in rounds of `--calls` calls; p50 of each and the ratio.
2. **Batching at `--clients` concurrent clients** (one text per request): the same server
   without batching (`--model-threads` = CPU cores) and with it (`--batching-parameters-file`:
   `max_batch_size` = clients, `batch_timeout_micros` below, one batch thread), alternating
   rounds; requests/s and p99 latency of each, and the ratios.
3. **Hot swap**: `--clients` clients send `version_label: stable` requests in a loop while two
   new versions are pushed (staged copy, rename, models.config step one, then the label moved
   once the server has loaded the version) and one rollback is done; failed requests, requests
   answered by each version, and a check that every answer came from a complete version.

    python bench/serving.py --tiny --calls 20 --requests 10 --rounds 1   # smoke run, ~2 min
    python bench/serving.py --out bench/results/serving.json             # MiniLM, ~10 min
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kerasknow  # noqa: F401,E402  (sets TF_USE_LEGACY_KERAS before TensorFlow)

from rounds import write_json  # noqa: E402

LABELS = ["business", "entertainment", "politics", "sport", "tech"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a 2-layer tiny BERT instead of MiniLM")
    parser.add_argument("--calls", type=int, default=100, help="timed calls per round in part 1 (default 100)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in parts 2 and 3 (default 16)")
    parser.add_argument("--requests", type=int, default=24, help="requests per client per round in part 2")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per variant in parts 1 and 2 (default 2)")
    parser.add_argument("--batch-timeout-micros", type=int, default=5000, help="part 2's batching timeout")
    parser.add_argument("--out", default="", help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    if min(args.calls, args.clients, args.requests, args.rounds) < 1:
        parser.error("--calls, --clients, --requests and --rounds must be >= 1.")
    return args


def texts(count: int = 64):
    """The first paragraph of `count` BBC News articles (every fifth, all classes)."""
    from kerasknow.demo import bbc_news_dir

    root = bbc_news_dir()
    files = sorted(os.path.join(root, label, name) for label in sorted(os.listdir(root))
                   for name in sorted(os.listdir(os.path.join(root, label))))[::5][:count]
    found = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            paragraphs = [p.strip() for p in f.read().split("\n") if p.strip()]
        found.append(" ".join(paragraphs[:2]))
    return found


def export(directory: str, tiny: bool) -> str:
    from kerasknow.models.checkpoints import resolve_checkpoint
    from kerasknow.testing import make_tiny_bert_checkpoint
    from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier
    from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer
    from kerasknow.text.text_classifier_export import export_text_classifier

    checkpoint = make_tiny_bert_checkpoint(os.path.join(directory, "tiny")) if tiny else resolve_checkpoint("")
    model = build_bert_sequence_classifier(checkpoint, num_labels=len(LABELS))
    tokenizer = InGraphBertTokenizer.from_checkpoint(checkpoint, max_length=128)
    return export_text_classifier(model, os.path.join(directory, "export"), tokenizer, LABELS)


def percentile(values, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def grpc_vs_in_process(template: str, base: str, corpus, args) -> dict:
    import tensorflow as tf

    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    serve = tf.saved_model.load(template).signatures["serving_default"]
    times = {"in_process": [], "grpc": []}
    with DevModelServer(base, "bench", port=0) as server, PredictionClient(f"127.0.0.1:{server.port}", "bench") as client:
        calls = {"in_process": lambda t: serve(texts=tf.constant([t]))["labels"].numpy(),
                 "grpc": lambda t: client.predict_texts([t])}
        for call in calls.values():  # trace and warm both paths
            for text in corpus[:5]:
                call(text)
        for r in range(2 * args.rounds):
            name = list(calls)[r % 2]
            for i in range(args.calls):
                text = corpus[(r * args.calls + i) % len(corpus)]
                start = time.perf_counter()
                calls[name](text)
                times[name].append((time.perf_counter() - start) * 1000)
    p50 = {k: statistics.median(v) for k, v in times.items()}
    return {"p50_ms": p50, "calls": {k: len(v) for k, v in times.items()}, "ratio": p50["grpc"] / p50["in_process"]}


def load(target: str, corpus, clients: int, requests: int) -> dict:
    """`clients` threads, `requests` one-text requests each; requests/s and latencies."""
    from kerasknow.serving.prediction_client import PredictionClient

    latencies, failures = [], []
    barrier = threading.Barrier(clients + 1)

    def client_loop(index: int):
        with PredictionClient(target, "bench", timeout=120) as client:
            client.predict_texts([corpus[index % len(corpus)]])  # connect
            barrier.wait()
            for i in range(requests):
                start = time.perf_counter()
                try:
                    client.predict_texts([corpus[(index * requests + i) % len(corpus)]])
                except Exception as e:  # noqa: BLE001  (counted)
                    failures.append(repr(e))
                latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    return {"requests_per_s": len(latencies) / elapsed, "p50_ms": statistics.median(latencies),
            "p99_ms": percentile(latencies, 0.99), "failures": len(failures)}


def batching(base: str, corpus, args, workdir: str) -> dict:
    from kerasknow.serving.batching_parameters import batching_file_text
    from kerasknow.serving.model_server import DevModelServer

    params = os.path.join(workdir, "batching.config")
    with open(params, "w") as f:
        f.write(batching_file_text(args.clients, args.batch_timeout_micros, num_batch_threads=1))
    servers = {"unbatched": DevModelServer(base, "bench", port=0),
               "batched": DevModelServer(base, "bench", port=0, batching_parameters_file=params)}
    runs = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
        for r in range(2 * args.rounds):
            name = list(servers)[r % 2] if r % 4 < 2 else list(servers)[1 - r % 2]
            runs[name].append(load(f"127.0.0.1:{servers[name].port}", corpus, args.clients, args.requests))
            print(f"  {name}: {runs[name][-1]['requests_per_s']:.1f} requests/s, p99 {runs[name][-1]['p99_ms']:.0f} ms",
                  file=sys.stderr, flush=True)
    finally:
        for server in servers.values():
            server.stop(grace=0)
    summary = {name: {"requests_per_s": statistics.median(r["requests_per_s"] for r in rs),
                      "p99_ms": statistics.median(r["p99_ms"] for r in rs),
                      "failures": sum(r["failures"] for r in rs), "rounds": rs} for name, rs in runs.items()}
    summary["throughput_ratio"] = summary["batched"]["requests_per_s"] / summary["unbatched"]["requests_per_s"]
    summary["p99_ratio"] = summary["batched"]["p99_ms"] / summary["unbatched"]["p99_ms"]
    return summary


def hot_swap(template: str, serving: str, corpus, args) -> dict:
    from kerasknow.serving.model_release import ModelRelease
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    release = ModelRelease(os.path.join(serving, "bench"))
    first = release.commit(release.stage(template))
    release.add_version(first)
    answered, failures, stop = {}, [], threading.Event()
    lock = threading.Lock()

    def client_loop(index: int):
        with PredictionClient(f"127.0.0.1:{server.port}", "bench", timeout=120) as client:
            i = 0
            while not stop.is_set():
                try:
                    request = client.predict({"texts": [corpus[(index + i) % len(corpus)]]}, version_label="stable")
                    complete = request["probabilities"].shape == (1, len(LABELS)) and \
                        request["labels"][0].decode() in LABELS
                    with lock:
                        answered[complete] = answered.get(complete, 0) + 1
                except Exception as e:  # noqa: BLE001  (counted)
                    failures.append(repr(e))
                i += 1

    server = DevModelServer(model_config_file=release.config.path, port=0, poll_seconds=0.2,
                            model_config_poll_seconds=0.2, allow_version_labels_for_unavailable_models=True)
    server.start()
    versions = server.models["bench"]
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    events = []
    start = time.perf_counter()

    def wait(condition, what):
        deadline = time.monotonic() + 600
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(what)
            time.sleep(0.05)
        events.append((round(time.perf_counter() - start, 2), what))

    try:
        for thread in threads:
            thread.start()
        time.sleep(2)
        pushed = [first]
        for _ in range(2):
            version = release.commit(release.stage(template))
            pushed.append(version)
            release.add_version(version)  # step one: the server loads it
            wait(lambda: version in versions.loaded_versions, f"version {version} loaded")
            release.move_label("stable", version)  # step two: the label moves
            wait(lambda: versions.version_labels.get("stable") == version, f"stable -> {version}")
            time.sleep(2)
        target, done = release.rollback()
        wait(lambda: versions.version_labels.get("stable") == target, f"rolled back: stable -> {target}")
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        server.stop(grace=0)
    counts = _counts(server)
    return {"failed_requests": len(failures), "failures": failures[:5], "answered": sum(answered.values()),
            "answered_by_an_incomplete_model": answered.get(False, 0),
            "answered_by_a_version_never_pushed": sorted(set(counts) - set(pushed)), "versions_pushed": pushed,
            "rolled_back_to": target, "events": events,
            "requests_per_version": {str(k): v for k, v in sorted(counts.items())}}


def _counts(server):
    counts = {}
    for line in server.metrics.render(server.models).splitlines():
        if line.startswith(":tensorflow:serving:request_count{") and 'status="OK"' in line:
            version = line.split('version="', 1)[1].split('"', 1)[0]
            counts[int(version)] = counts.get(int(version), 0) + int(line.rsplit(" ", 1)[1])
    return counts


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = tempfile.mkdtemp(prefix="kerasknow_bench_serving_")
    try:
        corpus = texts()
        template = export(workdir, args.tiny)
        base = os.path.join(workdir, "single", "bench")
        os.makedirs(base)
        shutil.copytree(template, os.path.join(base, "1"))
        print("1. gRPC vs in-process ...", file=sys.stderr, flush=True)
        part1 = grpc_vs_in_process(template, base, corpus, args)
        print("2. batching ...", file=sys.stderr, flush=True)
        part2 = batching(base, corpus, args, workdir)
        print("3. hot swap ...", file=sys.stderr, flush=True)
        part3 = hot_swap(template, os.path.join(workdir, "swap"), corpus, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    model = "tiny BERT (2 layers)" if args.tiny else "MiniLM (all-MiniLM-L6-v2)"
    print(f"\nServing benchmark: {model}, {os.cpu_count()} CPU cores")
    print(f"1. batch 1, p50: in process {part1['p50_ms']['in_process']:.1f} ms, gRPC {part1['p50_ms']['grpc']:.1f} ms "
          f"-> gRPC / in-process {part1['ratio']:.2f}x ({part1['calls']['grpc']} calls each)")
    b, u = part2["batched"], part2["unbatched"]
    print(f"2. {args.clients} clients: unbatched {u['requests_per_s']:.1f} requests/s (p99 {u['p99_ms']:.0f} ms), "
          f"batched {b['requests_per_s']:.1f} requests/s (p99 {b['p99_ms']:.0f} ms) -> throughput "
          f"{part2['throughput_ratio']:.2f}x, p99 {part2['p99_ratio']:.2f}x; failures {u['failures'] + b['failures']}")
    print(f"3. hot swap: {part3['answered']} requests during 2 pushes and 1 rollback, {part3['failed_requests']} failed, "
          f"{part3['answered_by_an_incomplete_model']} answered by an incomplete model; per version "
          f"{part3['requests_per_version']}; {part3['events']}")
    write_json(args.out, {"model": model, "cpu_cores": os.cpu_count(), "args": vars(args), "grpc_vs_in_process": part1,
                          "batching": part2, "hot_swap": part3})
    return 0


if __name__ == "__main__":
    sys.exit(main())
