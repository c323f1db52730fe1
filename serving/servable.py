"""A loaded model version and the SignatureDefs TF Serving reports for it."""
import dataclasses
import os
from typing import Any, Dict, Optional

import grpc
from google.protobuf import text_format
from tensorflow.core.protobuf import saved_model_pb2

from kerasknow.serving.predict_request import RequestAbort, check_predict_request, request_tensors
from kerasknow.serving.prepared_predict import PreparedPredict
from kerasknow.serving.server_limits import ServerLimits

DEFAULT_SIGNATURE = "serving_default"


@dataclasses.dataclass
class Servable:
    """One loaded version of a model, as `DevModelServer` serves it.

    Args:
        version: The integer version (its directory name).
        path: The version directory.
        model: The loaded SavedModel; holding it keeps its signature functions alive.
        signature_defs: Signature name -> `tensorflow.SignatureDef`, as in `saved_model.pb`.
        model_name: The served model's name.
        warmup_requests: How many warm-up requests ran before the version became available.
    """

    version: int
    path: str
    model: Any
    signature_defs: Dict[str, Any]
    model_name: str = ""
    warmup_requests: int = 0

    def signature(self, signature_name: str):
        """Returns `(name, SignatureDef, concrete function)` for a requested signature name.

        Args:
            signature_name: The request's `model_spec.signature_name`; empty for `serving_default`.

        Raises:
            RequestAbort: FAILED_PRECONDITION when the version has no such signature, with
                `tensorflow_model_server`'s message.
        """
        name = signature_name or DEFAULT_SIGNATURE
        functions = self.model.signatures
        if name not in self.signature_defs or name not in functions:
            available = sorted(k for k in functions)
            raise RequestAbort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'Serving signature key "{name}" not found. Signatures in version {self.version}: '
                f"{{{', '.join(available)}}}.",
            )
        return name, self.signature_defs[name], functions[name]

    def prepare(self, request, limits: Optional[ServerLimits] = None) -> PreparedPredict:
        """Checks a `PredictRequest` against this version and decodes its inputs.

        Args:
            request: A `tensorflow.serving.PredictRequest`.
            limits: The server's limits (default: `ServerLimits()`).

        Returns:
            A `PreparedPredict` to run now or in a batch.

        Raises:
            RequestAbort: For an unknown signature or bad inputs, as TF Serving answers them.
        """
        name, sig_def, function = self.signature(request.model_spec.signature_name)
        outputs = check_predict_request(request, sig_def)
        tensors = request_tensors(request, sig_def, function, limits)
        return PreparedPredict(servable=self, signature_name=name, function=function, tensors=tensors,
                               outputs=outputs)


def read_signature_defs(version_dir: str) -> Dict[str, Any]:
    """Returns the `serve` meta graph's SignatureDefs, exactly as TF Serving reports them.

    Raises:
        ValueError: When the SavedModel has no meta graph tagged `serve`.
    """
    import tensorflow as tf

    pb_path = os.path.join(version_dir, "saved_model.pb")
    saved_model = saved_model_pb2.SavedModel()
    if tf.io.gfile.exists(pb_path):
        with tf.io.gfile.GFile(pb_path, "rb") as f:
            saved_model.ParseFromString(f.read())
    else:
        with tf.io.gfile.GFile(os.path.join(version_dir, "saved_model.pbtxt"), "r") as f:
            text_format.Parse(f.read(), saved_model)
    for meta_graph in saved_model.meta_graphs:
        if "serve" in meta_graph.meta_info_def.tags:
            return dict(meta_graph.signature_def)
    raise ValueError(
        f"The SavedModel at {version_dir} has no meta graph tagged 'serve', which TF Serving "
        f"loads. Received tags: {[list(m.meta_info_def.tags) for m in saved_model.meta_graphs]}. "
        "Fix: export with tf.saved_model.save (tags default to 'serve')."
    )
