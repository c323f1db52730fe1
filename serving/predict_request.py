"""Validation and decoding of PredictRequests, with `tensorflow_model_server`'s status messages.

Every input is checked before anything is allocated for it: the dtype, then the declared shape
against the signature and `ServerLimits.max_request_batch`, then that the proto carries exactly
as many values as its shape declares. TensorFlow itself would repeat the last value to fill a
short proto, so a 68-byte request could ask for 20,000 texts; here it is INVALID_ARGUMENT.
"""
import math
from typing import Dict, List, Optional

import grpc
import tensorflow as tf
from tensorflow.core.framework import types_pb2

from kerasknow.serving.server_limits import ServerLimits

# dtype -> the TensorProto field holding its values when tensor_content is empty, and how many
# entries of that field make one element.
_VALUE_FIELDS = {
    types_pb2.DT_FLOAT: ("float_val", 1), types_pb2.DT_DOUBLE: ("double_val", 1),
    types_pb2.DT_INT32: ("int_val", 1), types_pb2.DT_INT16: ("int_val", 1), types_pb2.DT_INT8: ("int_val", 1),
    types_pb2.DT_UINT8: ("int_val", 1), types_pb2.DT_UINT16: ("int_val", 1),
    types_pb2.DT_INT64: ("int64_val", 1), types_pb2.DT_UINT32: ("uint32_val", 1),
    types_pb2.DT_UINT64: ("uint64_val", 1), types_pb2.DT_BOOL: ("bool_val", 1),
    types_pb2.DT_HALF: ("half_val", 1), types_pb2.DT_BFLOAT16: ("half_val", 1),
    types_pb2.DT_COMPLEX64: ("scomplex_val", 2), types_pb2.DT_COMPLEX128: ("dcomplex_val", 2),
    types_pb2.DT_STRING: ("string_val", 1),
}


class RequestAbort(Exception):
    """A request error, turned into a gRPC status (or a REST error) by the API that received it.

    Args:
        code: The `grpc.StatusCode`.
        message: The message the client gets (never the request's data).
    """

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(message: str) -> RequestAbort:
    return RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, message)


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
            raise _invalid(f"input tensor alias not found in signature: {alias}. Inputs expected to be in "
                           f"the set {expected_set}.")
    missing = [a for a in expected if a not in request.inputs]
    if missing:
        raise _invalid(f"input size does not match signature: {len(request.inputs)}!={len(expected)}. Missing "
                       f"inputs: {', '.join(missing)}. Inputs expected to be in the set {expected_set}.")
    outputs = list(request.output_filter) or sorted(sig_def.outputs)
    seen = set()
    for alias in outputs:
        if alias not in sig_def.outputs:
            raise _invalid(f"output tensor alias not found in signature: {alias} Outputs expected to be in "
                           f"the set {{{', '.join(sorted(sig_def.outputs))}}}.")
        if alias in seen:
            raise _invalid(f"duplicate output tensor alias: {alias}")
        seen.add(alias)
    return outputs


def declared_shape(alias: str, proto, limits: ServerLimits) -> List[int]:
    """The shape a TensorProto declares, refused when it is unknown, negative, an empty batch, or
    over `limits.max_request_batch` rows.

    Raises:
        RequestAbort: INVALID_ARGUMENT, naming the limit and its flag where one applies.
    """
    if proto.tensor_shape.unknown_rank:
        raise _invalid(f"Input {alias!r} has an unknown rank; send a tensor_shape with its dimensions.")
    shape = [int(d.size) for d in proto.tensor_shape.dim]
    if any(d < 0 for d in shape):
        raise _invalid(f"Input {alias!r} has a negative dimension. Received: shape {shape}.")
    if shape and shape[0] == 0:
        raise _invalid(f"Input {alias!r} is an empty batch (shape {shape}): send at least one row.")
    if shape and shape[0] > limits.max_request_batch:
        raise _invalid(f"Input {alias!r} has {shape[0]} rows, over this server's limit of {limits.max_request_batch} "
                       f"rows per request ({ServerLimits.FLAGS['max_request_batch']}). Fix: split the batch.")
    return shape


def _value_count(alias: str, proto, dtype: tf.DType) -> int:
    if proto.tensor_content:
        itemsize = dtype.size
        if dtype == tf.string or len(proto.tensor_content) % itemsize:
            raise _invalid(f"tensor parsing error: {alias} (tensor_content of {len(proto.tensor_content)} bytes is "
                           f"not a whole number of {dtype.name} values)")
        return len(proto.tensor_content) // itemsize
    field, per_element = _VALUE_FIELDS[proto.dtype]
    return len(getattr(proto, field)) // per_element


def request_tensors(request, sig_def, function, limits: Optional[ServerLimits] = None) -> Dict[str, tf.Tensor]:
    """The request's input TensorProtos as tensors of the signature's dtypes and shapes.

    Args:
        request: The PredictRequest (its aliases checked by `check_predict_request`).
        sig_def: The SignatureDef.
        function: The signature's concrete function (its input specs give the shapes).
        limits: The server's limits (defaults: `ServerLimits()`).

    Raises:
        RequestAbort: INVALID_ARGUMENT for a wrong dtype or shape, an empty batch, too many rows,
            or a value count that does not match the shape.
    """
    limits = limits or ServerLimits()
    specs = function.structured_input_signature[1]
    tensors = {}
    for alias, proto in request.inputs.items():
        want = tf.dtypes.as_dtype(sig_def.inputs[alias].dtype)
        if proto.dtype != want.as_datatype_enum:
            got = (tf.dtypes.as_dtype(proto.dtype).name if proto.dtype in types_pb2.DataType.values()
                   and proto.dtype != types_pb2.DT_INVALID else f"dtype enum {proto.dtype}")
            raise _invalid(f"Expects input {alias!r} to be {want.name} but {got} is provided.")
        if proto.dtype not in _VALUE_FIELDS:
            raise _invalid(f"Input {alias!r} has dtype {want.name}, which a request cannot carry.")
        shape = declared_shape(alias, proto, limits)
        spec = specs.get(alias)
        if spec is not None and not spec.shape.is_compatible_with(shape):
            raise _invalid(f"Input {alias!r} must have shape {spec.shape} (None = any size). Received: shape {shape}.")
        count = math.prod(shape)
        values = _value_count(alias, proto, want)
        if values != count:
            raise _invalid(f"Input {alias!r} declares shape {shape} ({count} values) but carries {values}. Fix: "
                           "send one value per element (this server does not repeat the last value to fill "
                           "the shape).")
        try:
            array = tf.make_ndarray(proto)
        except (TypeError, ValueError) as e:
            raise _invalid(f"tensor parsing error: {alias} ({type(e).__name__})") from e
        tensors[alias] = tf.constant(array, dtype=want)
    return tensors
