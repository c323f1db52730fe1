"""A loaded model version and the SignatureDefs TF Serving reports for it."""
import dataclasses
import os
from typing import Dict

from google.protobuf import text_format
from tensorflow.core.protobuf import saved_model_pb2


@dataclasses.dataclass
class Servable:
    """One loaded version of a model, as `DevModelServer` serves it."""

    version: int
    path: str
    model: object  # the loaded SavedModel; holding it keeps its signature functions alive
    signature_defs: Dict[str, object]  # name -> tensorflow.SignatureDef, as in saved_model.pb


def read_signature_defs(version_dir: str) -> Dict[str, object]:
    """Returns the `serve` meta graph's SignatureDefs, exactly as TF Serving reports them."""
    pb_path = os.path.join(version_dir, "saved_model.pb")
    saved_model = saved_model_pb2.SavedModel()
    if os.path.exists(pb_path):
        with open(pb_path, "rb") as f:
            saved_model.ParseFromString(f.read())
    else:
        with open(os.path.join(version_dir, "saved_model.pbtxt"), encoding="utf-8") as f:
            text_format.Parse(f.read(), saved_model)
    for meta_graph in saved_model.meta_graphs:
        if "serve" in meta_graph.meta_info_def.tags:
            return dict(meta_graph.signature_def)
    raise ValueError(
        f"The SavedModel at {version_dir} has no meta graph tagged 'serve', which TF Serving "
        f"loads. Received tags: {[list(m.meta_info_def.tags) for m in saved_model.meta_graphs]}. "
        "Fix: export with tf.saved_model.save (tags default to 'serve')."
    )
