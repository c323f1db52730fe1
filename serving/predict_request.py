"""Validation and decoding of PredictRequests, with `tensorflow_model_server`'s status messages."""
from typing import Dict, List

import grpc
import tensorflow as tf


class RequestAbort(Exception):
    """A request error, turned into a gRPC status by the servicers."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def check_predict_request(request, sig_def) -> List[str]:
    """Checks a PredictRequest's input and output aliases against the SignatureDef, with
    `tensorflow_model_server`'s messages.

    Returns:
        The output aliases to return (`output_filter`, or all of the signature's, sorted).

    Raises:
        RequestAbort: INVALID_ARGUMENT for unknown, missing or duplicate aliases.
    """
    expected = sorted(sig_def.inputs)
    expected_set = "{" + ", ".join(expected) + "}"
    for alias in request.inputs:
        if alias not in sig_def.inputs:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"input tensor alias not found in signature: {alias}. Inputs expected to be in "
                f"the set {expected_set}.",
            )
    missing = [a for a in expected if a not in request.inputs]
    if missing:
        raise RequestAbort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"input size does not match signature: {len(request.inputs)}!={len(expected)}. Missing "
            f"inputs: {', '.join(missing)}. Inputs expected to be in the set {expected_set}.",
        )
    outputs = list(request.output_filter) or sorted(sig_def.outputs)
    seen = set()
    for alias in outputs:
        if alias not in sig_def.outputs:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"output tensor alias not found in signature: {alias} Outputs expected to be in "
                f"the set {{{', '.join(sorted(sig_def.outputs))}}}.",
            )
        if alias in seen:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, f"duplicate output tensor alias: {alias}")
        seen.add(alias)
    return outputs


def request_tensors(request, sig_def, function) -> Dict[str, tf.Tensor]:
    """The request's input TensorProtos as tensors of the signature's dtypes and shapes.

    Raises:
        RequestAbort: INVALID_ARGUMENT for unparsable protos, wrong dtypes or shapes.
    """
    specs = function.structured_input_signature[1]
    tensors = {}
    for alias, proto in request.inputs.items():
        want = tf.dtypes.as_dtype(sig_def.inputs[alias].dtype)
        try:
            got = tf.dtypes.as_dtype(proto.dtype)
            array = tf.make_ndarray(proto)
        except (TypeError, ValueError) as e:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, f"tensor parsing error: {alias} ({e})") from e
        if got != want:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Expects input {alias!r} to be {want.name} but {got.name} is provided.",
            )
        spec = specs.get(alias)
        if spec is not None and not spec.shape.is_compatible_with(array.shape):
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Input {alias!r} must have shape {spec.shape} (None = any size). Received: "
                f"shape {list(array.shape)}.",
            )
        tensors[alias] = tf.constant(array, dtype=want)
    return tensors
