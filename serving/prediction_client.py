"""A gRPC client for TF Serving's PredictionService and ModelService.

Uses only the public `tensorflow-serving-api` protos, so it works unchanged against the real
`tensorflow_model_server` and against `DevModelServer`.
"""
import logging
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from kerasknow.errors import ConfigError
from kerasknow.serving.grpc_predict import open_channel, rpc_failure
from kerasknow.serving.serving_error import ServingError

logger = logging.getLogger(__name__)


class PredictionClient:
    """Calls Predict, GetModelMetadata and GetModelStatus on a TF Serving gRPC endpoint.

    Args:
        target: `host:port` of the gRPC endpoint (TF Serving's `--port`, 8500 by default).
        model_name: The served model's name (`--model_name`).
        signature_name: The signature `predict()` calls.
        timeout: Seconds each call may take (the gRPC deadline).

    Raises:
        ConfigError: For an empty target or model name, or a non-positive timeout.

    Example:

    ```python
    with PredictionClient("localhost:8500", "bbc") as client:
        outputs = client.predict_texts(["Shares rose sharply"])
        outputs["labels"]
    # -> array([b'business'], dtype=object)
    ```
    """

    def __init__(
        self,
        target: str,
        model_name: str,
        signature_name: str = "serving_default",
        timeout: float = 30.0,
    ):
        if not target or not isinstance(target, str):
            raise ConfigError(f"target must be 'host:port' of a TF Serving gRPC endpoint. Received: target={target!r}.")
        if not model_name:
            raise ConfigError(f"model_name must be the served model's name. Received: model_name={model_name!r}.")
        if not signature_name:
            raise ConfigError(f"signature_name must be a signature key. Received: signature_name={signature_name!r}.")
        if not timeout or timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds. Received: timeout={timeout!r}.")
        self.target = target
        self.model_name = model_name
        self.signature_name = signature_name
        self.timeout = float(timeout)
        self._open()

    def _open(self) -> None:
        # Subclasses (the REST client) open their own transport here.
        self._channel = open_channel(self.target)
        self._prediction = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    # ------------------------------------------------------------------------------- calls

    def _call(self, method, request, what: str):
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise rpc_failure(e, self.target, self.model_name, self.timeout, what) from e

    def predict(
        self,
        inputs: Mapping[str, Any],
        output_filter: Optional[Sequence[str]] = None,
        version: Optional[int] = None,
        version_label: Optional[str] = None,
    ) -> Dict[str, np.ndarray]:
        """Calls the client's signature with `inputs`.

        Args:
            inputs: Input name -> array-like. Python `str` values are sent as UTF-8 `tf.string`;
                other values keep their numpy dtype, which must match the signature's
                (e.g. `np.float32` for a float32 input; plain Python floats are float64).
            output_filter: Optional output names to return (default: all).
            version: Optional specific version (default: the newest the server serves).
            version_label: Optional version label (e.g. `"stable"`), instead of `version`.

        Returns:
            Output name -> numpy array; string outputs are object arrays of `bytes`.

        Raises:
            ConfigError: For empty inputs.
            ConnectionError: When the server cannot be reached or the deadline passes.
            ServingError: When the server rejects the request (its message included).
        """
        if not inputs:
            raise ConfigError(f"predict() needs at least one input. Received: inputs={inputs!r}.")
        if version is not None and version_label is not None:
            raise ConfigError(f"Give version or version_label, not both. Received: version={version!r}, "
                              f"version_label={version_label!r}.")
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model_name
        request.model_spec.signature_name = self.signature_name
        if version is not None:
            request.model_spec.version.value = int(version)
        elif version_label:
            request.model_spec.version_label = version_label
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(tf.make_tensor_proto(_as_array(value)))
        if output_filter:
            request.output_filter.extend(output_filter)
        return self._send_predict(request)

    def _send_predict(self, request) -> Dict[str, np.ndarray]:
        response = self._call(self._prediction.Predict, request, f"Predict(signature={self.signature_name!r})")
        return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}

    def predict_texts(self, texts: Sequence[str], input_name: str = "texts", **version) -> Dict[str, np.ndarray]:
        """Predicts for a batch of texts sent as one `tf.string` `[batch]` input.

        Args:
            texts: The texts.
            input_name: The signature's text input name.
            **version: `version=` or `version_label=`, as `predict()` takes them.

        Returns:
            Output name -> numpy array, one row per text.

        Raises:
            ConfigError: When `texts` is empty or not a list of strings.
            ConnectionError: When the server cannot be reached.
            ServingError: When the server rejects the request.
        """
        if isinstance(texts, (str, bytes)) or not texts or not all(isinstance(t, str) for t in texts):
            raise ConfigError(
                f"predict_texts() needs a non-empty list of str. Received: texts={texts!r:.200}."
            )
        return self.predict({input_name: np.array([t.encode("utf-8") for t in texts], dtype=object)}, **version)

    def predict_images(self, image_bytes: Sequence[bytes], input_name: str = "images",
                       **version) -> Dict[str, np.ndarray]:
        """Predicts for a batch of encoded images (PNG/JPEG file bytes) sent as `tf.string` `[batch]`.

        Args:
            image_bytes: The encoded images, e.g. `pathlib.Path(f).read_bytes()`.
            input_name: The signature's image input name.
            **version: `version=` or `version_label=`, as `predict()` takes them.

        Returns:
            Output name -> numpy array, one row per image.

        Raises:
            ConfigError: When `image_bytes` is empty or not a list of bytes.
            ConnectionError: When the server cannot be reached.
            ServingError: When the server rejects the request.
        """
        if isinstance(image_bytes, (str, bytes)) or not image_bytes or not all(
            isinstance(b, (bytes, bytearray)) for b in image_bytes
        ):
            raise ConfigError(
                "predict_images() needs a non-empty list of encoded image bytes (file contents). "
                f"Received: image_bytes={image_bytes!r:.120}."
            )
        return self.predict({input_name: np.array([bytes(b) for b in image_bytes], dtype=object)}, **version)

    def metadata(self) -> Dict[str, Dict[str, Dict[str, Dict[str, Any]]]]:
        """Returns the served version's signatures, from GetModelMetadata.

        Returns:
            `{signature_name: {"inputs": {name: {"dtype": "string", "shape": [-1]}}, "outputs":
            {...}, "method_name": "tensorflow/serving/predict"}}`. `shape` lists dimensions with
            -1 for unknown sizes, or is None when the rank is unknown. Internal signatures
            (`__saved_model_init_op`) are left out.

        Raises:
            ConnectionError: When the server cannot be reached.
            ServingError: When the server rejects the request.
        """
        result = {}
        signature_map = self._signature_map()
        for name, signature_def in sorted(signature_map.signature_def.items()):
            if name.startswith("__"):
                continue
            result[name] = {
                "inputs": {k: _describe(v) for k, v in sorted(signature_def.inputs.items())},
                "outputs": {k: _describe(v) for k, v in sorted(signature_def.outputs.items())},
                "method_name": signature_def.method_name,
            }
        return result

    def _signature_map(self):
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = self.model_name
        request.metadata_field.append("signature_def")
        response = self._call(self._prediction.GetModelMetadata, request, "GetModelMetadata")
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        if "signature_def" not in response.metadata or not response.metadata["signature_def"].Unpack(signature_map):
            raise ServingError(
                f"TF Serving at {self.target} returned metadata without a signature_def map for "
                f"model {self.model_name!r}. Received fields: {sorted(response.metadata)}.",
                code="INTERNAL",
            )
        return signature_map

    def status(self) -> List[Tuple[int, str]]:
        """Returns `[(version, state)]` from GetModelStatus, e.g. `[(1, "END"), (2, "AVAILABLE")]`.

        Raises:
            ConnectionError: When the server cannot be reached.
            ServingError: When the server knows no version of the model (NOT_FOUND).
        """
        response = self._status_response()
        state_enum = get_model_status_pb2.ModelVersionStatus.State
        return sorted((int(s.version), state_enum.Name(s.state)) for s in response.model_version_status)

    def _status_response(self):
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = self.model_name
        return self._call(self._models.GetModelStatus, request, "GetModelStatus")

    def close(self) -> None:
        """Closes the channel."""
        self._channel.close()

    def __enter__(self) -> "PredictionClient":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def _as_array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "U":
        # tf.string carries bytes; numpy unicode arrays are encoded as UTF-8, as TF does.
        array = np.vectorize(lambda s: s.encode("utf-8"), otypes=[object])(array)
    elif array.dtype.kind == "O":
        array = np.vectorize(lambda s: s.encode("utf-8") if isinstance(s, str) else s, otypes=[object])(array)
    return array


def _describe(tensor_info) -> Dict[str, Any]:
    dtype = tf.dtypes.as_dtype(tensor_info.dtype).name if tensor_info.dtype else "invalid"
    shape_proto = tensor_info.tensor_shape
    shape = None if shape_proto.unknown_rank else [int(d.size) for d in shape_proto.dim]
    return {"dtype": dtype, "shape": shape}
