"""Every malformed request gets TF Serving's code (gRPC) or HTTP status (REST) and a message with
the limit it broke; the server answers correctly afterwards and logs no request data."""
import json
import logging
import re
import urllib.error
import urllib.request

import grpc
import numpy as np
import pytest
import tensorflow as tf
from serving_toys import MODEL_NAME, expected_labels, push_version
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from kerasknow.serving.model_server import DevModelServer
from kerasknow.serving.server_limits import ServerLimits

SECRET = "my-secret-customer-text"
INVALID = grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture(scope="module")
def server(tmp_path_factory, toy_templates):
    base = tmp_path_factory.mktemp("malformed") / MODEL_NAME
    base.mkdir()
    push_version(toy_templates[1], str(base), 1)
    limits = ServerLimits(max_request_bytes=4096, max_request_batch=64, max_json_depth=8)
    server = DevModelServer(str(base), MODEL_NAME, port=0, rest_port=0, poll_seconds=0.2, limits=limits,
                            version_labels={"stable": 1, "canary": 7})
    server.start()
    yield server
    server.stop(grace=0)


def _texts(texts, **spec):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = spec.pop("name", MODEL_NAME)
    request.model_spec.signature_name = spec.pop("signature", "")
    if "version" in spec:
        request.model_spec.version.value = spec.pop("version")
    if "label" in spec:
        request.model_spec.version_label = spec.pop("label")
    request.inputs[spec.pop("input", "texts")].CopyFrom(
        tf.make_tensor_proto(np.array([t.encode() for t in texts], dtype=object)))
    return request


def _proto(dtype, shape, **values):
    proto = tensor_pb2.TensorProto(dtype=dtype, **values)
    for size in shape:
        proto.tensor_shape.dim.add(size=size)
    return proto


def _raw(alias, proto, signature=""):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = MODEL_NAME
    request.model_spec.signature_name = signature
    request.inputs[alias].CopyFrom(proto)
    return request


GRPC_CASES = {
    "wrong input name": (lambda: _texts(["x"], input="words"), INVALID, "input tensor alias not found in signature: words"),
    "wrong dtype": (lambda: _raw("texts", tf.make_tensor_proto(np.array([1, 2], np.int32))), INVALID,
                    "Expects input 'texts' to be string but int32 is provided"),
    "wrong shape": (lambda: _raw("texts", tf.make_tensor_proto(np.array([[b"a", b"b"]], dtype=object))), INVALID,
                    r"Input 'texts' must have shape \(None,\)"),
    "empty batch": (lambda: _raw("texts", _proto(types_pb2.DT_STRING, [0])), INVALID, r"empty batch \(shape \[0\]\)"),
    "oversize": (lambda: _texts(["x" * 5000]), INVALID,
                 r"over this server's limit of 4096 bytes \(--max-request-bytes\)"),
    "too many rows": (lambda: _texts(["x"] * 65), INVALID,
                      r"65 rows, over this server's limit of 64 rows per request \(--max-request-batch\)"),
    # 68 bytes asking for many texts: TensorFlow would repeat the one value.
    "one value for many": (lambda: _raw("texts", _proto(types_pb2.DT_STRING, [50], string_val=[b"x"])), INVALID,
                           r"declares shape \[50\] \(50 values\) but carries 1"),
    "shape 2**40": (lambda: _raw("texts", _proto(types_pb2.DT_STRING, [2**40], string_val=[b"x"])), INVALID,
                    "1099511627776 rows, over this server's limit"),
    "int32 of 2**26 values": (lambda: _raw("x", _proto(types_pb2.DT_INT32, [2**25, 2], int_val=[1]), "scale"), INVALID,
                              "Expects input 'x' to be float32 but int32 is provided"),
    "unknown model": (lambda: _texts(["x"], name="other"), grpc.StatusCode.NOT_FOUND,
                      r"Servable not found for request: Latest\(other\)"),
    "unknown version": (lambda: _texts(["x"], version=9), grpc.StatusCode.NOT_FOUND,
                        r"Servable not found for request: Specific\(toy, 9\)"),
    "label of an unloaded version": (lambda: _texts(["x"], label="canary"), grpc.StatusCode.NOT_FOUND,
                                     r"Specific\(toy, 7\)"),
    "unknown label": (lambda: _texts(["x"], label="nope"), INVALID, "Unrecognized servable version label: nope"),
    "unknown signature": (lambda: _texts([SECRET], signature="nope"), grpc.StatusCode.FAILED_PRECONDITION,
                          'Serving signature key "nope" not found'),
}


def test_every_malformed_grpc_request_gets_its_code_and_the_server_carries_on(server, caplog):
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    try:
        with caplog.at_level(logging.INFO, logger="kerasknow.serving"):
            for name, (make, code, message) in GRPC_CASES.items():
                with pytest.raises(grpc.RpcError, match=message) as info:
                    stub.Predict(make(), timeout=30)
                assert info.value.code() == code, name
        response = stub.Predict(_texts(["hi", "a much longer text"], label="stable"), timeout=30)
        assert list(tf.make_ndarray(response.outputs["labels"])) == expected_labels(["hi", "a much longer text"], 1)
    finally:
        channel.close()
    assert caplog.records and not any(SECRET in r.getMessage() for r in caplog.records)


def _post(server, path, body: bytes, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{server.rest_port}{path}", data=body, method="POST",
                                     headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _json(value) -> bytes:
    return json.dumps(value).encode()


REST_CASES = {
    "broken JSON": (":predict", b'{"instances": ["x"', 400, "not valid JSON"),
    "deep nesting": (":predict", b'{"inputs": ' + b"[" * 40 + b"]" * 40 + b"}", 400,
                     r"nested deeper than this server's limit of 8 levels \(--max-json-depth\)"),
    "very deep nesting": (":predict", b"[" * 1800 + b"]" * 1800, 400, "nested deeper"),  # past json's recursion
    "bad base64": (":predict", _json({"instances": [{"b64": "not base64!"}]}), 400, "Unable to base64 decode"),
    "wrong input name": (":predict", _json({"inputs": {"words": ["x"]}}), 400, "alias not found in signature: words"),
    "wrong dtype": (":predict", _json({"instances": [1, 2]}), 400, "must be a JSON string"),
    "ragged": (":predict", _json({"signature_name": "scale", "instances": [[1.0, 2.0], [3.0]]}), 400,
               "cannot be read as a float32 tensor"),
    "empty batch": (":predict", _json({"instances": []}), 400, "empty batch"),
    "oversize": (":predict", _json({"instances": ["x" * 5000]}), 400, r"over this server's limit of 4096 bytes"),
    "both formats": (":predict", _json({"instances": ["x"], "inputs": ["x"]}), 400, "exactly one of 'instances'"),
    "unknown model": ("/../other:predict", _json({"instances": ["x"]}), 404, r"Latest\(other\)"),
    "unknown version": ("/versions/9:predict", _json({"instances": ["x"]}), 404, r"Specific\(toy, 9\)"),
    "unknown label": ("/labels/nope:predict", _json({"instances": ["x"]}), 400, "Unrecognized servable version label"),
    "unknown signature": (":predict", _json({"signature_name": "nope", "instances": [SECRET]}), 400,
                          'signature key "nope" not found'),
    "classify": (":classify", _json({"examples": []}), 501, "not implemented"),
}


def test_every_malformed_rest_request_gets_its_status_and_the_server_carries_on(server, caplog):
    with caplog.at_level(logging.INFO, logger="kerasknow.serving"):
        for name, (suffix, body, status, message) in REST_CASES.items():
            path = f"/v1/models/{MODEL_NAME}{suffix}".replace(f"/{MODEL_NAME}/../", "/")
            got, answer = _post(server, path, body)
            assert got == status, (name, answer)
            assert set(answer) == {"error"}, name
            assert re.search(message, answer["error"]), (name, answer)
        got, answer = _post(server, f"/v1/models/{MODEL_NAME}:predict", _json({"instances": ["x"]}),
                            {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert got == 400 and "Content-Encoding gzip is not accepted" in answer["error"]
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{server.rest_port}/v2/nothing", timeout=30)
    got, answer = _post(server, f"/v1/models/{MODEL_NAME}/labels/stable:predict",
                        _json({"instances": ["hi", "a much longer text"]}))
    assert got == 200 and [p["labels"] for p in answer["predictions"]] == ["short", "long"]
    assert not any(SECRET in r.getMessage() for r in caplog.records)
