"""One progress line per pipeline step, read from ML Metadata while the run goes on.

`StepWatcher` polls the run's executions (`kerasknow.metadata.run_step.pipeline_run_steps`): a
step that starts shows as the console's live status (a terminal only), a step that ends prints
its line: node, `ran` / `cached` / `FAILED`, the elapsed time ML Metadata recorded, and what it
produced (`kerasknow.metadata.run_record.step_note`; for a cached step, the run it came from).
"""
import os
import threading
import time
from typing import Dict, Optional

from kerasknow.metadata.run_record import RunRecord, run_record, step_note
from kerasknow.metadata.run_step import RunStep
from kerasknow.progress import Console, format_seconds
from kerasknow.run_log import log_path

_MARKS = {"complete": "ran", "cached": "cached", "failed": "FAILED", "canceled": "canceled"}
NODE_WIDTH = 20


def step_line(step: RunStep, record: Optional[RunRecord], log: str = "") -> str:
    """`  KnowledgeExampleGen   ran       4.1s  30 records: 30 used, 0 rejected; ...`"""
    mark = _MARKS.get(step.state, step.state)
    note = step_note(record, step.node) if record is not None and step.state in ("complete", "cached") else ""
    if step.state == "cached" and record is not None and step.node in record.origins:
        note = (note + "; " if note else "") + f"from run {record.origins[step.node]}"
    if step.state == "failed" and log:
        note = f"details: {log}"
    return f"  {step.node:<{NODE_WIDTH}} {mark:<7} {format_seconds(step.seconds):>7}" + (f"  {note}" if note else "")


class StepWatcher:
    """Prints each step of run `run_id` as it ends, from a thread polling ML Metadata.

    Args:
        metadata_path: The run's SQLite ML Metadata file.
        run_id: The pipeline run id.
        console: Where the lines go.
        output: The output folder (for a failed ingest's counts).
        interval: Seconds between polls.
    """

    def __init__(self, metadata_path: str, run_id: str, console: Console, output: str = "", interval: float = 0.5):
        self.metadata_path = metadata_path
        self.run_id = run_id
        self.console = console
        self.output = output
        self.log = log_path(output) if output else ""
        self.interval = interval
        self._printed: Dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kerasknow-step-watcher", daemon=True)

    def __enter__(self) -> "StepWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stops polling and prints the steps that ended since the last poll."""
        self._stop.set()
        self._thread.join(timeout=30)
        for _ in range(5):
            if self._safe_poll():
                break
            time.sleep(self.interval)
        self.console.status("")

    def _safe_poll(self) -> bool:
        try:
            self.poll()
            return True
        except Exception:  # noqa: BLE001  (a store busy with the runner's write: try again)
            return False

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._safe_poll()

    def poll(self) -> None:
        """Prints the lines of steps that ended; shows the running one as the live status."""
        from kerasknow.metadata.pipeline_runs import PipelineRun
        from kerasknow.metadata.run_step import pipeline_run_steps

        try:
            steps = pipeline_run_steps(self.metadata_path, self.run_id)
        except (KeyError, FileNotFoundError):
            return  # the run has not registered yet
        ended = [s for s in steps if s.state not in ("running", "new") and s.execution_id not in self._printed]
        record = run_record(self.metadata_path, PipelineRun(self.run_id, 0), self.output) if ended else None
        for step in ended:
            self._printed[step.execution_id] = step.state
            self.console.line(step_line(step, record, self.log))
        running = [s for s in steps if s.state in ("running", "new")]
        if running:
            step = running[-1]
            elapsed = max(0.0, time.time() - step.created_ms / 1000.0)
            self.console.status(f"  {step.node:<{NODE_WIDTH}} running {format_seconds(elapsed):>7}")
