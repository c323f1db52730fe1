"""TF Serving's Predict messages and `TensorProto` <-> numpy, without importing TensorFlow.

`tensorflow-serving-api`'s generated modules import `tensorflow.core.framework`, which runs
TensorFlow's package `__init__` (seconds of start-up). A client needs only the messages' wire
format, so this module declares the fields `kerasknow predict` and `kerasknow evaluate` use,
with TF Serving's own field numbers and types, in a private descriptor pool (so they never clash
with the real classes if TensorFlow is loaded too). Protobuf parsers skip fields they do not
know, so these messages read any server's answer. `tests/serving/test_tensor_wire.py` checks the
bytes against the real `tensorflow_serving.apis` messages both ways.
"""
from typing import Dict, Iterable

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_PACKAGE = "kerasknow.serving.wire"
_F = descriptor_pb2.FieldDescriptorProto

# TensorFlow's DataType enum values <-> numpy dtypes (tensorflow/core/framework/types.proto).
DT_STRING = 7
DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 5: np.int16, 6: np.int8, 9: np.int64,
          10: np.bool_, 17: np.uint16, 19: np.float16, 22: np.uint32, 23: np.uint64}
_DT_OF = {np.dtype(v): k for k, v in DTYPES.items()}
# Which repeated field holds a dtype's values when `tensor_content` is empty.
_VALUES_FIELD = {1: "float_val", 2: "double_val", 3: "int_val", 4: "int_val", 5: "int_val", 6: "int_val",
                 9: "int64_val", 10: "bool_val", 17: "int_val", 19: "half_val", 22: "uint32_val", 23: "uint64_val"}


def _field(name: str, number: int, kind: int, repeated: bool = False, type_name: str = "") -> dict:
    field = {"name": name, "number": number, "type": kind,
             "label": _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL}
    if type_name:
        field["type_name"] = f".{_PACKAGE}.{type_name}"
    return field


def _message(name: str, fields: Iterable[dict], nested: Iterable[descriptor_pb2.DescriptorProto] = (),
             map_entry: bool = False) -> descriptor_pb2.DescriptorProto:
    message = descriptor_pb2.DescriptorProto(name=name)
    for field in fields:
        message.field.add(**field)
    message.nested_type.extend(nested)
    if map_entry:
        message.options.map_entry = True
    return message


def _map_entry(name: str, value_type: str) -> descriptor_pb2.DescriptorProto:
    return _message(name, [_field("key", 1, _F.TYPE_STRING), _field("value", 2, _F.TYPE_MESSAGE,
                                                                      type_name=value_type)], map_entry=True)


def _build_pool() -> descriptor_pool.DescriptorPool:
    T = _F  # noqa: N806
    file = descriptor_pb2.FileDescriptorProto(name="kerasknow/serving/wire.proto", package=_PACKAGE, syntax="proto3")
    file.message_type.extend([
        _message("TensorShapeProto", [_field("dim", 2, T.TYPE_MESSAGE, True, "TensorShapeProto.Dim"),
                                      _field("unknown_rank", 3, T.TYPE_BOOL)],
                 nested=[_message("Dim", [_field("size", 1, T.TYPE_INT64), _field("name", 2, T.TYPE_STRING)])]),
        _message("TensorProto", [
            _field("dtype", 1, T.TYPE_INT32), _field("tensor_shape", 2, T.TYPE_MESSAGE, type_name="TensorShapeProto"),
            _field("version_number", 3, T.TYPE_INT32), _field("tensor_content", 4, T.TYPE_BYTES),
            _field("half_val", 13, T.TYPE_INT32, True), _field("float_val", 5, T.TYPE_FLOAT, True),
            _field("double_val", 6, T.TYPE_DOUBLE, True), _field("int_val", 7, T.TYPE_INT32, True),
            _field("string_val", 8, T.TYPE_BYTES, True), _field("int64_val", 10, T.TYPE_INT64, True),
            _field("bool_val", 11, T.TYPE_BOOL, True), _field("uint32_val", 16, T.TYPE_UINT32, True),
            _field("uint64_val", 17, T.TYPE_UINT64, True)]),
        _message("Int64Value", [_field("value", 1, T.TYPE_INT64)]),
        _message("ModelSpec", [_field("name", 1, T.TYPE_STRING), _field("version", 2, T.TYPE_MESSAGE,
                                                                          type_name="Int64Value"),
                               _field("signature_name", 3, T.TYPE_STRING), _field("version_label", 4, T.TYPE_STRING)]),
        _message("PredictRequest", [_field("model_spec", 1, T.TYPE_MESSAGE, type_name="ModelSpec"),
                                    _field("inputs", 2, T.TYPE_MESSAGE, True, "PredictRequest.InputsEntry"),
                                    _field("output_filter", 3, T.TYPE_STRING, True)],
                 nested=[_map_entry("InputsEntry", "TensorProto")]),
        _message("PredictResponse", [_field("outputs", 1, T.TYPE_MESSAGE, True, "PredictResponse.OutputsEntry"),
                                     _field("model_spec", 2, T.TYPE_MESSAGE, type_name="ModelSpec")],
                 nested=[_map_entry("OutputsEntry", "TensorProto")]),
    ])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return pool


_POOL = _build_pool()


def _class(name: str):
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


TensorProto = _class("TensorProto")
PredictRequest = _class("PredictRequest")
PredictResponse = _class("PredictResponse")

#: gRPC method of TF Serving's PredictionService.
PREDICT_METHOD = "/tensorflow.serving.PredictionService/Predict"


def to_tensor_proto(value) -> "TensorProto":
    """A numpy array (or list) as a `TensorProto`: strings as UTF-8 `DT_STRING`, numbers as
    `tensor_content` (as `tf.make_tensor_proto` writes them).

    Raises:
        TypeError: For a dtype TF Serving has no `DataType` for here.
    """
    array = np.asarray(value)
    proto = TensorProto()
    for size in array.shape:
        proto.tensor_shape.dim.add(size=int(size))
    if array.dtype.kind in ("U", "S", "O"):
        proto.dtype = DT_STRING
        proto.string_val.extend(v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in array.reshape(-1))
        return proto
    if array.dtype not in _DT_OF:
        raise TypeError(f"No TF DataType for numpy dtype {array.dtype}. Received: an array of {array.dtype}")
    proto.dtype = _DT_OF[array.dtype]
    proto.tensor_content = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return proto


def to_ndarray(proto) -> np.ndarray:
    """A `TensorProto` (this module's or TensorFlow's, or its bytes' parse) as a numpy array, as
    `tf.make_ndarray` returns it: strings as an object array of `bytes`.

    Raises:
        TypeError: For a dtype not in `DTYPES` (or `DT_STRING`).
    """
    shape = [int(d.size) for d in proto.tensor_shape.dim]
    count = int(np.prod(shape)) if shape else 1
    if proto.dtype == DT_STRING:
        values = np.array(list(proto.string_val), dtype=object)
    elif proto.dtype in DTYPES:
        dtype = np.dtype(DTYPES[proto.dtype])
        if proto.tensor_content:
            return np.frombuffer(proto.tensor_content, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
        raw = list(getattr(proto, _VALUES_FIELD[proto.dtype]))
        if proto.dtype == 19:  # float16 values travel as their 16-bit patterns in int32s
            values = np.array(raw, dtype=np.uint16).view(np.float16)
        else:
            values = np.array(raw, dtype=dtype)
    else:
        raise TypeError(f"Cannot decode a tensor of TF DataType {proto.dtype}. Received: dtype={proto.dtype}")
    if values.size == count:
        return values.reshape(shape)
    # TF writes a tensor whose last values repeat with the repeats left out (all zeros: no values).
    if not values.size:
        return np.full(shape, b"", dtype=object) if proto.dtype == DT_STRING else np.zeros(shape, DTYPES[proto.dtype])
    return np.concatenate([values, np.repeat(values[-1:], count - values.size)]).reshape(shape)


def predict_request(model_name: str, signature_name: str, inputs: Dict[str, np.ndarray], output_filter=(),
                    version=None, version_label=None) -> "PredictRequest":
    """The `PredictRequest` for `inputs` (name -> array) to one signature of a served model
    (a `version` number or a `version_label` of the models.config; neither: the newest)."""
    request = PredictRequest()
    request.model_spec.name = model_name
    request.model_spec.signature_name = signature_name
    if version is not None:
        request.model_spec.version.value = int(version)
    elif version_label:
        request.model_spec.version_label = version_label
    for name, value in inputs.items():
        request.inputs[name].CopyFrom(to_tensor_proto(value))
    request.output_filter.extend(output_filter)
    return request
