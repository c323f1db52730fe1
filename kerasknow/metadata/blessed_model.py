"""The latest blessed model of an output folder, as ML Metadata knows it: what an update builds on."""
import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class BlessedModel:
    """The newest blessed model and the knowledge it was trained on.

    Args:
        model_id: Its ML Metadata artifact id.
        uri: Its model artifact URI.
        pushed_version: The TF Serving version it was pushed as ("" when not pushed).
        knowledge_size: Examples of the knowledge base it learnt (0 when unknown).
    """

    model_id: int
    uri: str
    pushed_version: str
    knowledge_size: int


def latest_blessed_model(metadata_path: str) -> Optional[BlessedModel]:
    """The newest blessed model recorded in `metadata_path`, or None (no file, or nothing blessed yet)."""
    import os

    from kerasknow.metadata.run_step import open_store
    from kerasknow.update.previous_knowledge import PreviousKnowledge

    if not os.path.exists(metadata_path):
        return None
    store = open_store(metadata_path)
    try:
        blessings = store.get_artifacts_by_type("ModelBlessing")
    except Exception:  # noqa: BLE001  (an MLMD without the type raises; it means nothing was blessed)
        return None
    blessed = [b for b in blessings if b.custom_properties.get("blessed") and b.custom_properties["blessed"].int_value]
    if not blessed:
        return None
    latest = max(blessed, key=lambda b: b.id)
    model_id = latest.custom_properties["current_model_id"].int_value
    model = store.get_artifacts_by_id([model_id])[0]
    version = ""
    for pushed in store.get_artifacts_by_type("PushedModel"):
        props = pushed.custom_properties
        if props.get("pushed") and props["pushed"].int_value and _pushed_from(store, pushed.id) == model_id:
            version = props["pushed_version"].string_value
    knowledge = PreviousKnowledge.of_model(model.uri)
    return BlessedModel(model_id, model.uri, version, knowledge.size if knowledge else 0)


def _pushed_from(store, pushed_id: int) -> Optional[int]:
    """The model artifact a Pusher execution pushed when it output `pushed_id`."""
    from ml_metadata.proto import metadata_store_pb2

    for event in store.get_events_by_artifact_ids([pushed_id]):
        if event.type == metadata_store_pb2.Event.OUTPUT:
            for e in store.get_events_by_execution_ids([event.execution_id]):
                keys = [s.key for s in e.path.steps if s.HasField("key")]
                if e.type == metadata_store_pb2.Event.INPUT and keys == ["model"]:
                    return e.artifact_id
    return None
