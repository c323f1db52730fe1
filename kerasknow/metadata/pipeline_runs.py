"""The pipeline runs ML Metadata recorded under one output folder, and where a cached step came from."""
import dataclasses
import datetime
from typing import List, Optional


@dataclasses.dataclass(frozen=True)
class PipelineRun:
    """One pipeline run: its id (the `pipeline_run` context's name) and when it started.

    Args:
        run_id: The run id; it names `tensorboard/<run>/` and `reports/<run>/`.
        created_ms: When ML Metadata recorded the run (ms since the epoch).
    """

    run_id: str
    created_ms: int

    @property
    def started(self) -> datetime.datetime:
        """The start as local time."""
        return datetime.datetime.fromtimestamp(self.created_ms / 1000.0)


def pipeline_runs(metadata_path: str) -> List[PipelineRun]:
    """Every recorded pipeline run, oldest first.

    Raises:
        FileNotFoundError: When there is no metadata file.
    """
    from kerasknow.metadata.run_step import open_store

    store = open_store(metadata_path)
    runs = [PipelineRun(c.name, c.create_time_since_epoch) for c in store.get_contexts_by_type("pipeline_run")]
    return sorted(runs, key=lambda r: (r.created_ms, r.run_id))


def new_run_id(taken: List[str], now: Optional[datetime.datetime] = None) -> str:
    """A readable, sortable run id for a new run (`20260314-102233`), unlike any in `taken`.

    Two runs started in the same second get `-2`, `-3`, ... appended.

    Example:

    >>> new_run_id(["20260314-102233"], datetime.datetime(2026, 3, 14, 10, 22, 33))
    '20260314-102233-2'
    """
    base = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    run_id, n = base, 1
    while run_id in taken:
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def step_origin(metadata_path: str, execution_id: int) -> Optional[str]:
    """The run whose execution produced the outputs a cached execution reused.

    Args:
        metadata_path: The SQLite ML Metadata file.
        execution_id: A (cached) execution's id (`RunStep.execution_id`).

    Returns:
        The run id of the execution that wrote those outputs, or None when it cannot be found
        (the execution produced no outputs).
    """
    from ml_metadata.proto import metadata_store_pb2

    from kerasknow.metadata.run_step import open_store

    store = open_store(metadata_path)
    outputs = [e.artifact_id for e in store.get_events_by_execution_ids([execution_id])
               if e.type == metadata_store_pb2.Event.OUTPUT]
    if not outputs:
        return None
    writers = sorted({e.execution_id for e in store.get_events_by_artifact_ids(outputs[:1])
                      if e.type == metadata_store_pb2.Event.OUTPUT})
    complete = metadata_store_pb2.Execution.COMPLETE
    for execution in store.get_executions_by_id(writers):
        if execution.last_known_state == complete:
            runs = [c.name for c in store.get_contexts_by_execution(execution.id) if c.type == "pipeline_run"]
            if runs:
                return runs[0]
    return None
