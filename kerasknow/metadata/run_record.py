"""What one pipeline run did, read from ML Metadata: the rows of `kerasknow runs` and the step notes.

Everything comes from the run's executions and their output artifacts, so a step the run reused
from the cache reports the outputs it reused (and the run they came from).
"""
import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

from kerasknow.metadata.pipeline_runs import PipelineRun, pipeline_runs
from kerasknow.metadata.run_step import RunStep, pipeline_run_steps


@dataclasses.dataclass
class RunRecord:
    """One pipeline run as `kerasknow runs` lists it.

    Args:
        run_id: The run id (names `tensorboard/<run>/` and `reports/<run>/`).
        started_ms: When it started (ms since the epoch).
        steps: Its steps in execution order.
        origins: Node -> the run whose outputs a cached step reused.
        task: The task family (from the config kerasknow's steps recorded).
        data: The knowledge data ingested.
        read, used, rejected: Records of the data (None when unknown).
        train, eval: Examples per split.
        warnings: Knowledge-validation warnings.
        hyperparameters: The tuner's best values.
        model_id: The ML Metadata id of the model the run trained or reused.
        finetune: What of that model trained (`Format-Keras/training.json`'s `finetune`: the
            strategy, trainable and total parameters); empty when unknown.
        accuracy, f1: The evaluation of that model (token accuracy and entity F1 for NER).
        blessed: Whether the evaluator blessed it.
        not_blessed_because: Why not.
        pushed_version: The served version the KnowledgePusher pushed (or reused); None for none.
        knowledge: KnowledgeBase's one-line summary (the knowledge base's size; on an update the
            previous and new examples, new labels and the replayed sample).
        max_forgetting: On an update, the worst old class's forgetting in points; None otherwise.
        push: The KnowledgePusher's one-line summary (what it pushed, where a label stays).
        previous_model_id: The blessed model this run updated (`previous_knowledge`), or None.
        knowledge_learnt: No model to update because a blessed model already learnt this
            knowledge (a rerun), rather than because there is none yet.
    """

    run_id: str
    started_ms: int
    steps: List[RunStep]
    origins: Dict[str, str] = dataclasses.field(default_factory=dict)
    task: str = ""
    data: str = ""
    read: Optional[int] = None
    used: Optional[int] = None
    rejected: Optional[int] = None
    train: Optional[int] = None
    eval: Optional[int] = None
    warnings: Optional[int] = None
    hyperparameters: Dict[str, Any] = dataclasses.field(default_factory=dict)
    model_id: Optional[int] = None
    finetune: Dict[str, Any] = dataclasses.field(default_factory=dict)
    accuracy: Optional[float] = None
    f1: Optional[float] = None
    blessed: Optional[bool] = None
    not_blessed_because: str = ""
    pushed_version: Optional[str] = None
    knowledge: str = ""
    max_forgetting: Optional[float] = None
    push: str = ""
    previous_model_id: Optional[int] = None
    knowledge_learnt: bool = False

    @property
    def state(self) -> str:
        """`complete`, `failed at <node>` or `running`."""
        failed = [s.node for s in self.steps if s.state == "failed"]
        if failed:
            return f"failed at {failed[0]}"
        if any(s.state in ("running", "new") for s in self.steps):
            return "running"
        return "complete"

    def step(self, node: str) -> Optional[RunStep]:
        """The run's step of `node`, or None."""
        found = [s for s in self.steps if s.node == node]
        return found[-1] if found else None


def _property(artifact, name: str):
    if name not in artifact.custom_properties:
        return None
    value = artifact.custom_properties[name]
    return value.string_value if value.HasField("string_value") else value.int_value


def _outputs(store, execution_id: int) -> Dict[str, Any]:
    """Output key -> artifact of one execution."""
    from ml_metadata.proto import metadata_store_pb2

    ids = {}
    for event in store.get_events_by_execution_ids([execution_id]):
        # Resolvers record what they resolved as INTERNAL_OUTPUT events.
        if event.type in (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.INTERNAL_OUTPUT):
            keys = [s.key for s in event.path.steps if s.HasField("key")]
            if keys:
                ids[keys[0]] = event.artifact_id
    artifacts = {a.id: a for a in store.get_artifacts_by_id(list(ids.values()))} if ids else {}
    return {key: artifacts[i] for key, i in ids.items() if i in artifacts}


def _read_json(path: str) -> Optional[dict]:
    # The artifacts may be on any file system (an output URI's ML Metadata is local, its
    # artifacts are not).
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path, "r") as f:
        return json.loads(f.read())


def run_record(metadata_path: str, run: PipelineRun, output: str = "") -> RunRecord:
    """Reads one run's record from ML Metadata (and, for a failed ingest, its rejects summary).

    Args:
        metadata_path: The SQLite ML Metadata file.
        run: The run (`pipeline_runs`).
        output: The output folder, for `reports/<run>/ingest/summary.json` when the ingest failed
            (its outputs are then not in ML Metadata).
    """
    from kerasknow.metadata.pipeline_runs import step_origin
    from kerasknow.metadata.run_step import open_store

    store = open_store(metadata_path)
    steps = pipeline_run_steps(metadata_path, run.run_id)
    record = RunRecord(run.run_id, run.created_ms, steps)
    for execution in store.get_executions_by_id([s.execution_id for s in steps]):
        if "config" in execution.custom_properties and not record.task:
            record.task = json.loads(execution.custom_properties["config"].string_value).get("task", "")
    for step in steps:
        if step.state == "cached":
            origin = step_origin(metadata_path, step.execution_id)
            if origin:
                record.origins[step.node] = origin
        outputs = _outputs(store, step.execution_id)
        if "examples" in outputs and step.node == "KnowledgeExampleGen":
            record.data = _property(outputs["examples"], "data") or ""
            record.train = _property(outputs["examples"], "num_train")
            record.eval = _property(outputs["examples"], "num_eval")
        if "rejects" in outputs:
            for name in ("read", "used", "rejected"):
                setattr(record, name, _property(outputs["rejects"], name))
        if "report" in outputs and step.node == "KnowledgeValidator":
            record.warnings = _property(outputs["report"], "warnings")
        if "best_hyperparameters" in outputs:
            hp = _read_json(os.path.join(outputs["best_hyperparameters"].uri, "best_hyperparameters.txt"))
            record.hyperparameters = (hp or {}).get("values", {})
        if "model" in outputs and step.node == "Trainer":
            record.model_id = outputs["model"].id
            training = _read_json(os.path.join(outputs["model"].uri, "Format-Keras", "training.json")) or {}
            record.finetune = training.get("finetune") or {}
        if step.resolver and step.node == "previous_knowledge":
            record.previous_model_id = outputs["model"].id if "model" in outputs else None
            if record.previous_model_id is None:
                # The resolver skips blessed models trained on this very knowledge: with one in the
                # store, resolving none means the knowledge is already learnt (a rerun).
                record.knowledge_learnt = any(
                    b.create_time_since_epoch < step.created_ms and _property(b, "blessed")
                    for b in store.get_artifacts_by_type("ModelBlessing"))
        if "evaluation" in outputs:
            metrics = _read_json(os.path.join(outputs["evaluation"].uri, "metrics.json")) or {}
            record.accuracy, record.f1 = metrics.get("accuracy"), metrics.get("f1")
            record.blessed = metrics.get("blessed")
            record.not_blessed_because = "; ".join(metrics.get("not_blessed_because", []))
            retention = metrics.get("update", {}).get("retention") or {}
            record.max_forgetting = retention.get("max_forgetting")
        if "training" in outputs and step.node == "KnowledgeBase":
            record.knowledge = _property(outputs["training"], "summary") or ""
        if "pushed_model" in outputs:
            record.push = _property(outputs["pushed_model"], "summary") or ""
        if "pushed_model" in outputs and _property(outputs["pushed_model"], "pushed"):
            record.pushed_version = str(_property(outputs["pushed_model"], "pushed_version") or "") or None
    if record.read is None and output:
        summary = _read_json(os.path.join(output, "reports", run.run_id, "ingest", "summary.json"))
        if summary:
            record.read, record.used, record.rejected = (summary.get(k) for k in ("read", "used", "rejected"))
    return record


def run_records(metadata_path: str, output: str = "") -> List[RunRecord]:
    """Every run's record, oldest first.

    Raises:
        FileNotFoundError: When there is no metadata file (nothing ran with this output).
    """
    return [run_record(metadata_path, run, output) for run in pipeline_runs(metadata_path)]


def metric_names(task: str):
    """What `accuracy` and `f1` measure for `task` (`("token accuracy", "entity micro-F1")` for NER)."""
    from kerasknow.config import TASK_SPECS

    spec = TASK_SPECS.get(task)
    return (spec.accuracy_name, spec.f1_name) if spec else ("accuracy", "f1")


def step_note(record: RunRecord, node: str) -> str:
    """What `node` produced in the run, in a few words (the end of its progress line)."""
    if node == "KnowledgeExampleGen" and record.read is not None:
        note = f"{record.read} records: {record.used} used, {record.rejected} rejected"
        return note + (f"; train {record.train}, eval {record.eval}" if record.train is not None else "")
    if node == "KnowledgeValidator" and record.warnings is not None:
        return f"0 errors, {record.warnings} warning{'s' if record.warnings != 1 else ''}"
    if node == "Tuner" and record.hyperparameters:
        return "best: " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in record.hyperparameters.items())
    if node == "Trainer" and record.model_id is not None:
        tuned = record.finetune
        if not tuned.get("total_params"):
            return f"model #{record.model_id}"
        share = 100 * tuned["trainable_params"] / tuned["total_params"]
        return (f"model #{record.model_id}; {tuned.get('strategy') or 'full'}: {tuned['trainable_params']:,} of "
                f"{tuned['total_params']:,} parameters trained ({share:.2f}%)")
    if node == "KnowledgeEvaluator" and record.accuracy is not None:
        accuracy, f1 = metric_names(record.task)
        verdict = "blessed" if record.blessed else "NOT blessed"
        kept = f", old classes forgot at most {record.max_forgetting:.1f} pts" if record.max_forgetting is not None else ""
        return f"{accuracy} {record.accuracy:.4f}, {f1} {record.f1:.4f}{kept}; {verdict}"
    if node == "previous_knowledge":
        if record.previous_model_id is None:
            if record.knowledge_learnt:
                return "a blessed model learnt this knowledge already: a rerun, nothing to update"
            return "no blessed model yet: a first knowledge base"
        return f"updates blessed model #{record.previous_model_id}"
    if node == "KnowledgeBase":
        return record.knowledge
    if node == "KnowledgePusher":
        if record.push:
            return record.push
        return f"pushed version {record.pushed_version}" if record.pushed_version else "nothing pushed"
    return ""
