"""TF Serving's REST JSON for Predict: `instances` (rows) or `inputs` (columns), `{"b64": ...}`.

Requests become `PredictRequest` protos and responses come from `PredictResponse` protos, so the
REST API answers exactly what gRPC answers. The formats are TF Serving's
(https://www.tensorflow.org/tfx/serving/api_rest):

- `{"signature_name": "...", "instances": [row, ...]}`: a row is the value of the single input,
  or an object `{input: value}`; the answer is `{"predictions": [...]}` (one value per row for a
  single output, else an object per row).
- `{"inputs": {input: tensor}}` (or a bare tensor for a single input): the answer is
  `{"outputs": {output: tensor}}` (or a bare tensor for a single output).
- Binary strings are `{"b64": "<base64>"}` both ways; string outputs whose name ends in
  `_bytes`, and any that are not valid UTF-8, are answered in that form.
"""
import base64
import binascii
from typing import Any, Dict, List, Tuple

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from kerasknow.serving.predict_request import RequestAbort


def _invalid(message: str) -> RequestAbort:
    return RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, message)


def json_depth(value: Any) -> int:
    """The nesting depth of parsed JSON (a scalar is 0, `[1]` is 1), computed without recursion.

    Example:

    >>> json_depth({"inputs": [[1, 2], [3]]})
    3
    """
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_b64(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"b64"}


def _string_leaf(value: Any, alias: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if _is_b64(value) and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(f"Unable to base64 decode the value of input {alias!r}: expected standard base64 "
                           "(A-Z, a-z, 0-9, +, /, = padding).") from None
    raise _invalid(f"Input {alias!r} is a string tensor: each value must be a JSON string or "
                   f'{{"b64": "<base64>"}}. Received a JSON {type(value).__name__}.')


def _string_array(value: Any, alias: str) -> np.ndarray:
    def convert(item):
        if isinstance(item, list):
            return [convert(child) for child in item]
        return _string_leaf(item, alias)

    array = np.array(convert(value), dtype=object)
    if any(isinstance(v, list) for v in array.reshape(-1)):
        raise _invalid(f"Input {alias!r} is ragged: every row must have the same length.")
    return array


def _to_array(value: Any, alias: str, dtype: tf.DType) -> np.ndarray:
    if dtype == tf.string:
        return _string_array(value, alias)
    if any(isinstance(v, (str, dict)) for v in _leaves(value)):
        raise _invalid(f"Input {alias!r} is {dtype.name}: its values must be JSON numbers"
                       f"{' or booleans' if dtype == tf.bool else ''}.")
    try:
        return np.asarray(value, dtype=dtype.as_numpy_dtype)
    except (ValueError, TypeError, OverflowError):
        raise _invalid(f"Input {alias!r} cannot be read as a {dtype.name} tensor: the rows must have the same "
                       "length and the values must fit the type.") from None


def _leaves(value: Any):
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def predict_request_from_json(body: Any, sig_def, model_spec) -> Tuple[predict_pb2.PredictRequest, bool]:
    """A `PredictRequest` from a REST predict body.

    Args:
        body: The parsed JSON.
        sig_def: The signature's `SignatureDef` (input names and dtypes).
        model_spec: The `ModelSpec` to put in the request.

    Returns:
        `(request, row_format)`: `row_format` is True for `instances`.

    Raises:
        RequestAbort: INVALID_ARGUMENT for a body that is not TF Serving's format.
    """
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object with 'instances' or 'inputs'.")
    unknown = sorted(set(body) - {"signature_name", "instances", "inputs"})
    if unknown:
        raise _invalid(f"Unknown keys in the request body: {unknown}. Expected 'signature_name' and one of "
                       "'instances' (rows) or 'inputs' (columns).")
    if ("instances" in body) == ("inputs" in body):
        raise _invalid("The request body must have exactly one of 'instances' (rows) or 'inputs' (columns).")
    names = sorted(sig_def.inputs)
    request = predict_pb2.PredictRequest()
    request.model_spec.CopyFrom(model_spec)
    row_format = "instances" in body
    if row_format:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise _invalid("'instances' must be a JSON list, one entry per row.")
        if len(names) == 1 and not any(isinstance(r, dict) and not _is_b64(r) for r in instances):
            columns = {names[0]: instances}
        else:
            if not all(isinstance(r, dict) for r in instances):
                raise _invalid(f"This signature has several inputs ({', '.join(names)}): each instance must be an "
                               "object with one key per input.")
            keys = {name for r in instances for name in r}
            columns = {name: [r.get(name) for r in instances] for name in keys}
            if any(None in values for values in columns.values()):
                raise _invalid("Every instance must have the same keys.")
    else:
        inputs = body["inputs"]
        if isinstance(inputs, dict) and not _is_b64(inputs):
            columns = inputs
        elif len(names) == 1:
            columns = {names[0]: inputs}
        else:
            raise _invalid(f"'inputs' must be an object with one key per input ({', '.join(names)}).")
    for alias, value in columns.items():
        if alias not in sig_def.inputs:
            raise _invalid(f"input tensor alias not found in signature: {alias}. Inputs expected to be in the set "
                           f"{{{', '.join(names)}}}.")
        dtype = tf.dtypes.as_dtype(sig_def.inputs[alias].dtype)
        request.inputs[alias].CopyFrom(tf.make_tensor_proto(_to_array(value, alias, dtype)))
    return request, row_format


def _json_value(array: np.ndarray, alias: str) -> Any:
    if array.dtype != object and array.dtype.kind != "S":
        return array.tolist()

    def convert(raw: bytes):
        raw = bytes(raw)
        if not alias.endswith("_bytes"):
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return {"b64": base64.b64encode(raw).decode("ascii")}

    def nested(a):
        if isinstance(a, np.ndarray):
            return convert(a.item()) if a.ndim == 0 else [nested(row) for row in a]
        return convert(a)

    return nested(array)


def predict_response_to_json(response, row_format: bool) -> Dict[str, Any]:
    """The REST answer for a `PredictResponse`: `predictions` (rows) or `outputs` (columns).

    Raises:
        RequestAbort: INVALID_ARGUMENT when rows are asked for but the outputs' batch sizes differ.
    """
    arrays = {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}
    if not row_format:
        values = {name: _json_value(array, name) for name, array in sorted(arrays.items())}
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    sizes = {name: (array.shape[0] if array.ndim else None) for name, array in arrays.items()}
    if None in sizes.values() or len(set(sizes.values())) > 1:
        raise _invalid(f"The outputs do not share a batch size ({sizes}), so they cannot be answered as "
                       "'predictions' rows. Fix: send 'inputs' (columnar) instead of 'instances'.")
    columns = {name: _json_value(array, name) for name, array in sorted(arrays.items())}
    if len(columns) == 1:
        return {"predictions": next(iter(columns.values()))}
    rows: List[Dict[str, Any]] = [dict() for _ in range(next(iter(sizes.values())))]
    for name, values in columns.items():
        for row, value in zip(rows, values):
            row[name] = value
    return {"predictions": rows}
