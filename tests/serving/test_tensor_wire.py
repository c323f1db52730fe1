"""kerasknow's TensorFlow-free Predict messages are byte-compatible with tensorflow-serving-api's."""
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from kerasknow.serving import tensor_wire

ARRAYS = [
    np.array([b"Shares rose", "Zo\u00eb".encode()], dtype=object),
    np.array([[0.25, 0.75], [1.0, 0.0]], dtype=np.float32),
    np.arange(6, dtype=np.int64).reshape(2, 3),
    np.array([1, 2], dtype=np.int32),
    np.array([0.5], dtype=np.float16),
    np.array([True, False]),
    np.zeros((0, 3), dtype=np.float32),
]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.dtype))
def test_tensors_read_as_tensorflow_writes_them_and_the_other_way(array):
    theirs = tf.make_tensor_proto(array)
    np.testing.assert_array_equal(tensor_wire.to_ndarray(tensor_wire.TensorProto.FromString(
        theirs.SerializeToString())), tf.make_ndarray(theirs))
    ours = tensor_wire.to_tensor_proto(array)
    back = tf.make_ndarray(type(theirs).FromString(ours.SerializeToString()))
    np.testing.assert_array_equal(back, array)
    assert back.dtype == tf.make_ndarray(theirs).dtype


def test_values_in_typed_fields_and_repeated_last_values_are_read_as_tensorflow_reads_them():
    from tensorflow.core.framework import tensor_pb2

    for proto in (tensor_pb2.TensorProto(dtype=tf.float32.as_datatype_enum, float_val=[1.5, 2.0],
                                         tensor_shape={"dim": [{"size": 4}]}),
                  tensor_pb2.TensorProto(dtype=tf.int64.as_datatype_enum, tensor_shape={"dim": [{"size": 3}]}),
                  tensor_pb2.TensorProto(dtype=tf.string.as_datatype_enum, string_val=[b"a"],
                                         tensor_shape={"dim": [{"size": 2}]}),
                  tensor_pb2.TensorProto(dtype=tf.float16.as_datatype_enum, half_val=[15360],
                                         tensor_shape={"dim": [{"size": 1}]})):
        ours = tensor_wire.to_ndarray(tensor_wire.TensorProto.FromString(proto.SerializeToString()))
        np.testing.assert_array_equal(ours, tf.make_ndarray(proto))


def test_requests_and_responses_match_tensorflow_servings_messages():
    ours = tensor_wire.predict_request("bbc", "serving_default", {"texts": np.array([b"hi"], dtype=object)},
                                       output_filter=["labels"], version=3)
    theirs = predict_pb2.PredictRequest.FromString(ours.SerializeToString())
    assert (theirs.model_spec.name, theirs.model_spec.signature_name, theirs.model_spec.version.value) == (
        "bbc", "serving_default", 3)
    assert list(theirs.output_filter) == ["labels"] and tf.make_ndarray(theirs.inputs["texts"]).tolist() == [b"hi"]
    response = predict_pb2.PredictResponse()
    response.outputs["probabilities"].CopyFrom(tf.make_tensor_proto(np.array([[0.1, 0.9]], np.float32)))
    response.model_spec.name = "bbc"
    parsed = tensor_wire.PredictResponse.FromString(response.SerializeToString())
    assert parsed.model_spec.name == "bbc"
    np.testing.assert_allclose(tensor_wire.to_ndarray(parsed.outputs["probabilities"]), [[0.1, 0.9]])


def test_unsupported_dtypes_are_named():
    with pytest.raises(TypeError, match=r"No TF DataType for numpy dtype complex64"):
        tensor_wire.to_tensor_proto(np.array([1j], dtype=np.complex64))
    with pytest.raises(TypeError, match=r"Cannot decode a tensor of TF DataType 14"):
        tensor_wire.to_ndarray(tensor_wire.TensorProto(dtype=14))  # bfloat16
