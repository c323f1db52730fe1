"""Request counts and latencies in Prometheus' text format, as TF Serving exports them.

`tensorflow_model_server --monitoring_config_file` (with `prometheus_config { enable: true }`)
serves them on the REST port at `/monitoring/prometheus/metrics`. The names of request counts
and latencies are TF Serving's (`:tensorflow:serving:request_count`,
`:tensorflow:serving:request_latency`, in microseconds), with a `version` label added; what
only the development server measures is named `:kerasknow:dev_server:*`.
"""
import bisect
import collections
import threading
from typing import Dict, Iterable, List, Mapping, Tuple

#: Upper bounds of the latency histogram, in microseconds.
LATENCY_BUCKETS_US = (100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
                      1_000_000, 2_500_000, 5_000_000, 10_000_000)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

Labels = Tuple[Tuple[str, str], ...]


class _Histogram:
    __slots__ = ("counts", "sum", "count")

    def __init__(self, buckets: int):
        self.counts = [0] * (buckets + 1)
        self.sum = 0.0
        self.count = 0


class ServerMetrics:
    """Counts requests and batches; `render()` writes Prometheus' text exposition format.

    Example:

    >>> metrics = ServerMetrics()
    >>> metrics.record_request("bbc", "predict", "GRPC", "OK", 0.004, version=2)
    >>> ':tensorflow:serving:request_count{API="predict",entrypoint="GRPC",model_name="bbc",status="OK",version="2"} 1' \\
    ...     in metrics.render({})
    True
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: Dict[Labels, int] = collections.Counter()
        self._latency: Dict[Labels, _Histogram] = {}
        self._batches: Dict[Labels, _Histogram] = {}

    def record_request(self, model_name: str, api: str, entrypoint: str, status: str, seconds: float,
                       version=None) -> None:
        """One answered request: its model, version (None when none was resolved), API
        (`predict`, `get_model_metadata`, ...), entrypoint (`GRPC`/`REST`) and status code name."""
        base = (("API", api), ("entrypoint", entrypoint), ("model_name", model_name),
                ("version", "" if version is None else str(version)))
        with self._lock:
            self._counts[tuple(sorted(base + (("status", status),)))] += 1
            _observe(self._latency, tuple(sorted(base)), LATENCY_BUCKETS_US, seconds * 1e6)

    def record_batch(self, servable, tasks: int, rows: int) -> None:
        """One model call of a batch of `tasks` request pieces holding `rows` rows."""
        labels = (("model_name", servable.model_name), ("version", str(servable.version)))
        with self._lock:
            _observe(self._batches, labels, BATCH_BUCKETS, rows)

    def render(self, models: Mapping[str, object]) -> str:
        """The metrics text; `models` (name -> `ModelVersions`) gives the loaded versions."""
        lines: List[str] = []
        with self._lock:
            lines += ["# TYPE :tensorflow:serving:request_count counter"]
            lines += [f":tensorflow:serving:request_count{_labels(k)} {v}" for k, v in sorted(self._counts.items())]
            lines += _histogram_lines(":tensorflow:serving:request_latency", self._latency, LATENCY_BUCKETS_US)
            lines += _histogram_lines(":kerasknow:dev_server:batch_size", self._batches, BATCH_BUCKETS)
        available = ["# TYPE :kerasknow:dev_server:model_version_available gauge"]
        warmup = ["# TYPE :kerasknow:dev_server:warmup_requests gauge"]
        for name in sorted(models):
            versions = models[name]
            for version in versions.loaded_versions:
                labels = _labels((("model_name", name), ("version", str(version))))
                available.append(f":kerasknow:dev_server:model_version_available{labels} 1")
                servable = versions.servable(version)
                if servable is not None:
                    warmup.append(f":kerasknow:dev_server:warmup_requests{labels} {servable.warmup_requests}")
        lines += available + warmup
        return "\n".join(lines) + "\n"


def _observe(histograms: Dict[Labels, _Histogram], labels: Labels, buckets: Tuple, value: float) -> None:
    histogram = histograms.get(labels)
    if histogram is None:
        histogram = histograms[labels] = _Histogram(len(buckets))
    histogram.counts[bisect.bisect_left(buckets, value)] += 1
    histogram.sum += value
    histogram.count += 1


def _labels(pairs: Iterable[Tuple[str, str]]) -> str:
    escaped = (f'{k}="{v}"'.replace("\n", " ") for k, v in pairs)
    return "{" + ",".join(escaped) + "}"


def _histogram_lines(name: str, histograms: Dict[Labels, _Histogram], buckets: Tuple) -> List[str]:
    lines = [f"# TYPE {name} histogram"]
    for labels, histogram in sorted(histograms.items()):
        cumulative = 0
        for bound, count in zip(list(buckets) + ["+Inf"], histogram.counts):
            cumulative += count
            lines.append(f"{name}_bucket{_labels(labels + (('le', str(bound)),))} {cumulative}")
        lines.append(f"{name}_sum{_labels(labels)} {histogram.sum:g}")
        lines.append(f"{name}_count{_labels(labels)} {histogram.count}")
    return lines
