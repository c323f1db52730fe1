"""A client for TF Serving's REST API (`--rest_api_port`), with `PredictionClient`'s methods."""
import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

from kerasknow.errors import ConfigError
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.serving_error import ServingError

# TF Serving's HTTP status for each gRPC code, read backwards (400 is also FAILED_PRECONDITION).
_CODE_OF_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE",
                   504: "DEADLINE_EXCEEDED"}


class RestPredictionClient(PredictionClient):
    """`PredictionClient` over TF Serving's REST API instead of gRPC.

    Requests use the columnar `inputs` format; strings that are not UTF-8 (image bytes) go as
    `{"b64": ...}`. Answers come back as the numpy arrays `PredictionClient` returns, with the
    signature's output dtypes.

    Args:
        target: The REST endpoint, `http://host:port` (TF Serving's `--rest_api_port`, 8501).
        model_name: The served model's name.
        signature_name: The signature `predict()` calls.
        timeout: Seconds each call may take.

    Raises:
        ConfigError: For a target that is not an `http://` URL, an empty model name or a
            non-positive timeout.

    Example:

    ```python
    with RestPredictionClient("http://localhost:8501", "bbc") as client:
        client.predict_texts(["Shares rose sharply"])["labels"]
    ```
    """

    def _open(self) -> None:
        parsed = urllib.parse.urlparse(self.target)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"The REST target must be a URL like http://localhost:8501. Received: --rest "
                              f"{self.target!r}.")
        self.target = self.target.rstrip("/")
        self._output_dtypes: Dict[str, Dict[str, tf.DType]] = {}

    def close(self) -> None:
        """Nothing to close: each call is its own HTTP request."""

    # ---------------------------------------------------------------------------- transport

    def _http(self, method: str, path: str, what: str, body: Any = None) -> Any:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.target + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get("error", "")
            except ValueError:
                message = e.reason
            code = _CODE_OF_STATUS.get(e.code, "INTERNAL")
            raise ServingError(f"TF Serving REST at {self.target} answered {code} (HTTP {e.code}) to {what} for "
                               f"model {self.model_name!r}: {message}", code=code, details=message) from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ConnectionError(
                f"TF Serving REST at {self.target} is unreachable during {what} ({reason}). Fix: start a server "
                f"with REST, e.g. `kerasknow serve --model-base-path DIR/{self.model_name} --model-name "
                f"{self.model_name} --rest-port {urllib.parse.urlparse(self.target).port or 8501}`, or pass the "
                "right --rest URL.") from e

    def _model_path(self, request) -> str:
        path = f"/v1/models/{urllib.parse.quote(self.model_name, safe='')}"
        choice = request.model_spec.WhichOneof("version_choice")
        if choice == "version":
            path += f"/versions/{request.model_spec.version.value}"
        elif choice == "version_label":
            path += f"/labels/{urllib.parse.quote(request.model_spec.version_label, safe='')}"
        return path

    def _send_predict(self, request) -> Dict[str, np.ndarray]:
        inputs = {name: _to_json(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
        answer = self._http("POST", self._model_path(request) + ":predict",
                            f"Predict(signature={self.signature_name!r})",
                            {"signature_name": self.signature_name, "inputs": inputs})
        dtypes = self._dtypes()
        outputs = answer.get("outputs")
        if not isinstance(outputs, dict) or set(outputs) - set(dtypes):
            outputs = {next(iter(dtypes)): outputs} if len(dtypes) == 1 else outputs
        arrays = {name: _from_json(value, dtypes.get(name, tf.string)) for name, value in outputs.items()}
        wanted = list(request.output_filter)
        return {k: v for k, v in arrays.items() if k in wanted} if wanted else arrays

    def _dtypes(self) -> Dict[str, tf.DType]:
        if self.signature_name not in self._output_dtypes:
            signature_map = self._signature_map()
            signature = signature_map.signature_def.get(self.signature_name)
            outputs = signature.outputs if signature is not None else {}
            self._output_dtypes[self.signature_name] = {k: tf.dtypes.as_dtype(v.dtype) for k, v in outputs.items()}
        return self._output_dtypes[self.signature_name]

    def _signature_map(self):
        answer = self._http("GET", f"/v1/models/{urllib.parse.quote(self.model_name, safe='')}/metadata",
                            "GetModelMetadata")
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        packed = dict(answer.get("metadata", {}).get("signature_def", {}))
        packed.pop("@type", None)
        json_format.ParseDict(packed, signature_map, ignore_unknown_fields=True)
        return signature_map

    def _status_response(self):
        answer = self._http("GET", f"/v1/models/{urllib.parse.quote(self.model_name, safe='')}", "GetModelStatus")
        return json_format.ParseDict(answer, get_model_status_pb2.GetModelStatusResponse(), ignore_unknown_fields=True)


def _to_json(array: np.ndarray) -> Any:
    if array.dtype != object:
        return array.tolist()

    def convert(value):
        if isinstance(value, np.ndarray):
            return [convert(v) for v in value] if value.ndim else convert(value.item())
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(raw).decode("ascii")}

    return convert(array)


def _from_json(value: Any, dtype: tf.DType) -> np.ndarray:
    if dtype != tf.string:
        return np.asarray(value, dtype=dtype.as_numpy_dtype)

    def convert(item):
        if isinstance(item, list):
            return [convert(v) for v in item]
        if isinstance(item, dict):
            return base64.b64decode(item.get("b64", ""))
        return str(item).encode("utf-8")

    return np.array(convert(value), dtype=object)
