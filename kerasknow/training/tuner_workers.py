"""Parallel trials: Keras Tuner's chief oracle served here, its workers as processes.

Keras Tuner distributes a search by environment: every process runs the same tuner; the one
whose `KERASTUNER_TUNER_ID` is `chief` serves the oracle over gRPC on
`KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT`, the others (`worker0`, ...) ask it for trials
and report their scores. `TunerWorkers` serves the Tuner step's oracle with Keras Tuner's own
`OracleServicer` (its `start_server` sleeps in 30 s steps and blocks the tuner's constructor)
and starts the workers as `python -m kerasknow.training.tuner_workers SPEC`, which rebuild the
search from the same `tuner_fn` and its arguments (`SPEC`, JSON). With `trials_per_process`
a worker exits after that many trials and a fresh process takes its place under the same
tuner id, so no process keeps more than that many models' worth of TensorFlow's memory.
Workers on other machines run the same command with the same environment variables
(docs/finetuning.md).
"""
import json
import logging
import os
import resource
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

logger = logging.getLogger(__name__)

#: The spec's file name under the workers' folder.
SPEC_FILE = "worker_spec.json"


def serve_oracle(oracle, address: str) -> Tuple[Any, Any, int]:
    """Serves `oracle` with Keras Tuner's `OracleServicer` on `address` (`host:port`, port 0: a
    free one).

    Returns:
        `(server, servicer, port)`: the started `grpc.Server`, the servicer (its
        `stop_triggered` is set once the oracle has stopped a worker) and the bound port.

    Raises:
        RuntimeError: When the address cannot be bound.
    """
    from concurrent import futures

    import grpc
    from keras_tuner import protos
    from keras_tuner.distribute.oracle_chief import OracleServicer

    # One thread, as Keras Tuner's chief: the oracle's methods run one at a time.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    servicer = OracleServicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    port = server.add_insecure_port(address)
    if not port:
        raise RuntimeError(f"The Tuner's chief oracle cannot listen on {address}: expected a free host:port. "
                           f"Received: oracle_address={address!r}; set --oracle-address.")
    server.start()
    return server, servicer, port


class TunerWorkers:
    """`count` Keras Tuner worker processes on this machine, served by the oracle passed to `run`.

    Args:
        count: Worker processes (`tuning.parallel_trials`).
        spec: What a worker rebuilds the search from: `tuner_fn` (its import path) and
            `fn_args` (the TFX `FnArgs` fields it reads, JSON).
        directory: The tuner's folder; `workers/` in it holds the spec, each worker's log and
            the trials each ran (`<tuner id>.json`).
        address: `host:port` the oracle listens on.
        poll_s: Seconds between checks on the workers.
        trials_per_process: Trials a worker process runs before it exits and a fresh one is
            started in its place (`tuning.trials_per_process`); 0: no limit.
    """

    def __init__(self, count: int, spec: Dict[str, Any], directory: str, address: str = "127.0.0.1:0",
                 poll_s: float = 0.5, trials_per_process: int = 0):
        self.count = count
        self.spec = {**spec, "trials_per_process": trials_per_process}
        self.folder = os.path.join(directory, "workers")
        self.address = address
        self.poll_s = poll_s
        self.trials_per_process = trials_per_process
        self.port: Optional[int] = None
        self.processes_started = 0

    def run(self, oracle) -> Dict[str, List[str]]:
        """Serves `oracle`, runs the workers until it stops them, and stops serving.

        Returns:
            Tuner id -> the trial ids it ran.

        Raises:
            RuntimeError: When a worker fails; its log's last lines are in the message.
        """
        from tfx.dsl.io import fileio

        fileio.makedirs(self.folder)
        spec_path = os.path.join(self.folder, SPEC_FILE)
        with fileio.open(spec_path, "w") as f:
            f.write(json.dumps(self.spec, indent=2, sort_keys=True))
        server, servicer, self.port = serve_oracle(oracle, self.address)
        host = self.address.rpartition(":")[0]
        env = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1" if host in ("0.0.0.0", "[::]") else host,
               "KERASTUNER_ORACLE_PORT": str(self.port)}
        logger.info("Tuner: chief oracle on %s:%d, %d workers%s (spec %s)", host, self.port, self.count,
                    f", a fresh process every {self.trials_per_process} trials" if self.trials_per_process else "",
                    spec_path)
        logs = {f"worker{i}": open(os.path.join(self.folder, f"worker{i}.log"), "w") for i in range(self.count)}
        running: Dict[str, Any] = {}
        failed: Optional[Tuple[str, int]] = None
        try:
            for tuner_id in logs:
                running[tuner_id] = self._start(tuner_id, spec_path, env, logs[tuner_id])
            while running:
                time.sleep(self.poll_s)
                for tuner_id, process in list(running.items()):
                    code = process.poll()
                    if code is None:
                        continue
                    del running[tuner_id]
                    if code:
                        failed = (tuner_id, code)
                        break
                    if self.trials_per_process and not _oracle_done(oracle, servicer):
                        # It ran its share of trials and the oracle has more: a fresh process goes on.
                        running[tuner_id] = self._start(tuner_id, spec_path, env, logs[tuner_id])
                if failed:
                    break  # the others are stopped below: the step fails with this worker's log
            # Workers from other machines may still be running a trial.
            while failed is None and oracle.ongoing_trials:
                time.sleep(self.poll_s)
        finally:
            for process in running.values():
                process.terminate()
                process.wait()
            for log in logs.values():
                log.close()
            server.stop(grace=5)
        if failed:
            tuner_id, code = failed
            path = os.path.join(self.folder, f"{tuner_id}.log")
            with open(path) as f:
                tail = "".join(f.readlines()[-20:])
            raise RuntimeError(f"Tuner worker {tuner_id} failed with exit code {code} (expected 0); its log "
                               f"{path} ends:\n{tail}")
        records = self.records()
        ran = _trials_by_worker(records)
        logger.info("Tuner: trials by worker: %s; %d worker processes, the largest peaked at %.0f MB",
                    "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(ran.items())), self.processes_started,
                    max(_peaks(records).values(), default=0.0))
        return ran

    def _start(self, tuner_id: str, spec_path: str, env: Dict[str, str], log) -> subprocess.Popen:
        self.processes_started += 1
        log.flush()
        return subprocess.Popen([sys.executable, "-m", "kerasknow.training.tuner_workers", spec_path],
                                env={**env, "KERASTUNER_TUNER_ID": tuner_id}, stdout=log, stderr=subprocess.STDOUT)

    def records(self) -> List[Dict[str, Any]]:
        """What each worker process wrote when it ended: `tuner_id`, `trials`, `peak_rss_mb`."""
        records = []
        for name in sorted(os.listdir(self.folder)):
            if name.endswith(".json") and name != SPEC_FILE:
                with open(os.path.join(self.folder, name)) as f:
                    records.append(json.load(f))
        return records

    def trials_by_worker(self) -> Dict[str, List[str]]:
        """Tuner id -> the trial ids it ran (all its processes'), from the workers' records."""
        return _trials_by_worker(self.records())

    def peak_rss_mb(self) -> Dict[str, float]:
        """`<tuner id>.<pid>` -> that worker process's peak resident memory in MB."""
        return _peaks(self.records())


def _trials_by_worker(records: List[Dict[str, Any]]) -> Dict[str, List[str]]:
    ran: Dict[str, List[str]] = {}
    for record in records:
        ran.setdefault(record["tuner_id"], []).extend(record["trials"])
    return ran


def _peaks(records: List[Dict[str, Any]]) -> Dict[str, float]:
    return {f"{r['tuner_id']}.{r.get('process', 0)}": float(r.get("peak_rss_mb", 0.0)) for r in records}


def _oracle_done(oracle, servicer) -> bool:
    # The oracle says so when asked (a process started to ask costs seconds); its trial count
    # answers without one.
    return servicer.stop_triggered or bool(oracle.max_trials and len(oracle.trials) >= oracle.max_trials)


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (`getrusage`; Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: List[str]) -> int:
    """A worker: rebuilds the search from `argv[0]` (a spec `TunerWorkers` wrote) and runs trials
    until the chief oracle (`KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`) stops it."""
    import importlib
    import types

    from tfx.dsl.io import fileio

    if len(argv) != 1:
        raise SystemExit("usage: python -m kerasknow.training.tuner_workers SPEC.json "
                         "(with KERASTUNER_TUNER_ID, KERASTUNER_ORACLE_IP, KERASTUNER_ORACLE_PORT set)")
    with fileio.open(argv[0], "r") as f:
        spec = json.loads(f.read())
    module, _, name = spec["tuner_fn"].rpartition(".")
    tuner_fn = getattr(importlib.import_module(module), name)
    result = tuner_fn(types.SimpleNamespace(**spec["fn_args"]))
    result.tuner.trials_per_process = int(spec.get("trials_per_process", 0))
    result.tuner.search(**result.fit_kwargs)
    return 0


if __name__ == "__main__":
    # A worker is a process of its own whose output is its log file (workers/worker<i>.log).
    logging.basicConfig(level=logging.INFO)
    sys.exit(main(sys.argv[1:]))
