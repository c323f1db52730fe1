"""The steps of a pipeline run as ML Metadata recorded them: which ran, which were cached."""
import dataclasses
from typing import List, Optional


@dataclasses.dataclass(frozen=True)
class RunStep:
    """One node's execution in one pipeline run.

    Args:
        node: The node id (`KnowledgeExampleGen`, `Trainer`, ...).
        state: `complete` (it ran), `cached` (TFX reused an earlier execution's outputs),
            `failed`, `running`, `new` or `canceled`.
        execution_id: The ML Metadata execution id.
        created_ms: When ML Metadata registered the execution (ms since the epoch): the step's start.
        updated_ms: Its last state change: the step's end once it is no longer `running`.
        resolver: True for a resolver node (such as `previous_knowledge`): TFX runs those on
            every pipeline run, as they read ML Metadata rather than compute outputs, so they
            are never `cached`.
    """

    node: str
    state: str
    execution_id: int
    created_ms: int = 0
    updated_ms: int = 0
    resolver: bool = False

    @property
    def seconds(self) -> float:
        """The step's elapsed time as ML Metadata recorded it (to its last update while running)."""
        return max(0, self.updated_ms - self.created_ms) / 1000.0


def open_store(metadata_path: str):
    """A read-only `MetadataStore` over a local SQLite ML Metadata file.

    Raises:
        FileNotFoundError: When the file does not exist (no run wrote there yet).
    """
    import os

    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    if not os.path.exists(metadata_path):
        raise FileNotFoundError(f"No ML Metadata at {metadata_path}: no pipeline has run with this output. "
                                f"Received: metadata_path={metadata_path!r}")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def pipeline_run_steps(metadata_path: str, run_id: Optional[str] = None) -> List[RunStep]:
    """The steps of one pipeline run (the newest by default), in execution order.

    Args:
        metadata_path: The SQLite ML Metadata file (`<output>/metadata.sqlite`).
        run_id: A pipeline run id (LocalDagRunner's start timestamp); None for the newest run.

    Returns:
        A `RunStep` per node that the run executed or reused.

    Raises:
        FileNotFoundError: When there is no metadata file.
        KeyError: When no pipeline run (or none named `run_id`) was recorded.

    Example:

    ```python
    ran = [s.node for s in pipeline_run_steps("out/metadata.sqlite") if s.state == "complete"]
    ```
    """
    from ml_metadata.proto import metadata_store_pb2

    store = open_store(metadata_path)
    runs = store.get_contexts_by_type("pipeline_run")
    if run_id is not None:
        runs = [r for r in runs if r.name == run_id]
    if not runs:
        raise KeyError(f"No pipeline run{' ' + repr(run_id) if run_id else ''} in {metadata_path}.")
    run = max(runs, key=lambda r: (r.create_time_since_epoch, r.id))
    steps = []
    for execution in sorted(store.get_executions_by_context(run.id), key=lambda e: e.id):
        nodes = [c.name for c in store.get_contexts_by_execution(execution.id) if c.type == "node"]
        node = nodes[0].split(".", 1)[-1] if nodes else execution.name
        state = metadata_store_pb2.Execution.State.Name(execution.last_known_state).lower()
        kind = store.get_execution_types_by_id([execution.type_id])[0].name
        steps.append(RunStep(node=node, state=state, execution_id=execution.id,
                             created_ms=execution.create_time_since_epoch,
                             updated_ms=execution.last_update_time_since_epoch,
                             resolver=kind.rsplit(".", 1)[-1] == "Resolver"))
    return steps


def step_output(metadata_path: str, node: str, key: str, run_id: Optional[str] = None):
    """The output artifact `key` of `node`'s execution in one pipeline run (the newest by default).

    A cached execution's outputs are the artifacts it reused, so a rerun reports the cached
    model's figures, not whatever a newer folder holds.

    Args:
        metadata_path: The SQLite ML Metadata file.
        node: The node id, e.g. `"KnowledgeEvaluator"`.
        key: The output channel, e.g. `"evaluation"`.
        run_id: A pipeline run id; None for the newest.

    Returns:
        The `ml_metadata` `Artifact` proto, or None when the node did not run (or produced no such
        output) in that run.
    """
    from ml_metadata.proto import metadata_store_pb2

    steps = [s for s in pipeline_run_steps(metadata_path, run_id) if s.node == node]
    if not steps:
        return None
    store = open_store(metadata_path)
    for event in store.get_events_by_execution_ids([steps[-1].execution_id]):
        if event.type != metadata_store_pb2.Event.OUTPUT:
            continue
        if [s.key for s in event.path.steps if s.HasField("key")] == [key]:
            return store.get_artifacts_by_id([event.artifact_id])[0]
    return None
