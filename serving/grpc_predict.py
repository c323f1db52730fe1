"""A light TF Serving Predict client: gRPC, numpy and protobuf, no TensorFlow.

`kerasknow predict` and `kerasknow evaluate` use it, so a prediction from the command line does
not wait for TensorFlow to load. `PredictionClient` (`kerasknow.serving.prediction_client`) is
the full client (metadata, status) on `tensorflow-serving-api`'s own classes.
"""
from typing import Dict, Optional, Sequence

import grpc
import numpy as np

from kerasknow.errors import ConfigError
from kerasknow.serving import tensor_wire
from kerasknow.serving.serving_error import ServingError

_MAX_MESSAGE_BYTES = 2**31 - 1
_UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def open_channel(target: str) -> grpc.Channel:
    """An insecure gRPC channel to `target` that carries messages of any size (up to 2 GiB)."""
    return grpc.insecure_channel(target, options=[("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
                                                  ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)])


def rpc_failure(error: grpc.RpcError, target: str, model_name: str, timeout: float, what: str) -> Exception:
    """The exception to raise for a failed call: `ConnectionError` (unreachable, timed out) with the
    fix, or `ServingError` with the server's own message."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    details = error.details() if hasattr(error, "details") else str(error)
    if code in _UNREACHABLE:
        reason = "timed out" if code == grpc.StatusCode.DEADLINE_EXCEEDED else "is unreachable"
        return ConnectionError(
            f"TF Serving at {target} {reason} ({code.name} after at most {timeout:g}s during {what}: {details}). "
            f"Fix: start a server, e.g. `kerasknow serve --model-base-path DIR/{model_name} --model-name "
            f"{model_name} --port {target.rsplit(':', 1)[-1]}`, or pass the right --server HOST:PORT.")
    return ServingError(f"TF Serving at {target} answered {code.name} to {what} for model {model_name!r}: {details}",
                        code=code.name, details=details or "")


class GrpcPredictor:
    """Calls TF Serving's `PredictionService/Predict` on `target` for one model.

    Args:
        target: `host:port` of the gRPC endpoint.
        model_name: The served model's name.
        timeout: Seconds per call.

    Raises:
        ConfigError: For an empty target or model name, or a non-positive timeout.

    Example:

    ```python
    with GrpcPredictor("localhost:8500", "bbc") as predictor:
        predictor.predict("serving_default", {"texts": np.array([b"Shares rose"], dtype=object)})["labels"]
    # -> array([b'business'], dtype=object)
    ```
    """

    def __init__(self, target: str, model_name: str, timeout: float = 30.0):
        if not target or not isinstance(target, str):
            raise ConfigError(f"--server must be HOST:PORT of a TF Serving gRPC endpoint. Received: server={target!r}")
        if not model_name:
            raise ConfigError(f"--model must be the served model's name. Received: model={model_name!r}")
        if not timeout or timeout <= 0:
            raise ConfigError(f"--timeout must be > 0 seconds. Received: timeout={timeout!r}")
        self.target, self.model_name, self.timeout = target, model_name, float(timeout)
        self._channel = open_channel(target)
        self._predict = self._channel.unary_unary(
            tensor_wire.PREDICT_METHOD, request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=tensor_wire.PredictResponse.FromString)

    def predict(self, signature_name: str, inputs: Dict[str, np.ndarray], output_filter: Sequence[str] = (),
                version: Optional[int] = None, version_label: Optional[str] = None) -> Dict[str, np.ndarray]:
        """Calls `signature_name` with `inputs` (name -> array; `str`/`bytes` become `DT_STRING`).

        Returns:
            Output name -> numpy array (strings as object arrays of `bytes`).

        Raises:
            ConnectionError: When the server cannot be reached or the deadline passes.
            ServingError: When the server rejects the request (its message included).
        """
        request = tensor_wire.predict_request(self.model_name, signature_name, inputs, output_filter, version,
                                              version_label)
        try:
            response = self._predict(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise rpc_failure(e, self.target, self.model_name, self.timeout,
                              f"Predict(signature={signature_name!r})") from e
        return {name: tensor_wire.to_ndarray(proto) for name, proto in response.outputs.items()}

    def caller(self):
        """This model as a `kerasknow.metrics.signature_caller.SignatureCaller`."""
        return lambda signature_name, inputs: self.predict(signature_name, inputs)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "GrpcPredictor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
