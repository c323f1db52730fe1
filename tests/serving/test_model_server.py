"""DevModelServer: TF Serving's version semantics and gRPC API, on 127.0.0.1 only."""
import logging
import os
import socket

import grpc
import numpy as np
import pytest
import tensorflow as tf
from serving_toys import MODEL_NAME, expected_labels, push_version, wait_for
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from kerasknow.errors import ConfigError
from kerasknow.serving.model_server import DevModelServer
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.serving_error import ServingError

POLL = 0.1
TEXTS = ["hi", "seven ch", "a much longer text"]


def _stub(port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    return channel, prediction_service_pb2_grpc.PredictionServiceStub(channel)


def _text_request(texts, name=MODEL_NAME, signature=""):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    request.model_spec.signature_name = signature
    request.inputs["texts"].CopyFrom(tf.make_tensor_proto(np.array([t.encode() for t in texts], dtype=object)))
    return request


def test_serves_newest_complete_version_and_ignores_other_dirs(toy_base, toy_templates, make_server, caplog):
    push_version(toy_templates[2], toy_base, 2)
    os.makedirs(os.path.join(toy_base, "3", "variables"))  # half-written: no saved_model.pb
    os.makedirs(os.path.join(toy_base, "export-tmp"))  # not an integer
    server = make_server(toy_base)
    with caplog.at_level(logging.INFO, logger="kerasknow.serving.model_server"):
        port = server.start()
    assert port > 0 and server.port == port
    assert server.loaded_version == 2
    with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
        assert client.status() == [(2, "AVAILABLE")]
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)
    assert any("no saved_model.pb" in r.getMessage() and os.sep + "3" in r.getMessage() for r in caplog.records)
    assert any("export-tmp" in r.getMessage() for r in caplog.records)


def test_predict_response_carries_version_and_signature(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        response = stub.Predict(_text_request(TEXTS), timeout=10)
    finally:
        channel.close()
    assert response.model_spec.name == MODEL_NAME
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "serving_default"
    assert set(response.outputs) == {"labels", "class_ids", "probabilities"}
    assert list(tf.make_ndarray(response.outputs["labels"])) == expected_labels(TEXTS, 1)


def test_output_filter_is_honoured(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        request = _text_request(TEXTS)
        request.output_filter.append("class_ids")
        response = stub.Predict(request, timeout=10)
        assert set(response.outputs) == {"class_ids"}
        np.testing.assert_array_equal(tf.make_ndarray(response.outputs["class_ids"]), [0, 1, 1])
        request.output_filter.append("logits")
        with pytest.raises(grpc.RpcError, match="output tensor alias not found in signature: logits") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()


def test_swaps_to_new_version_then_ignores_half_written_one(toy_base, toy_templates, make_server, caplog):
    server = make_server(toy_base)
    port = server.start()
    client = PredictionClient(f"127.0.0.1:{port}", MODEL_NAME)
    try:
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 1)

        push_version(toy_templates[2], toy_base, 2)
        assert wait_for(lambda: server.loaded_version == 2, timeout=30 * POLL + 5)
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)
        assert client.status() == [(1, "END"), (2, "AVAILABLE")]

        # A version still being copied: the directory exists, saved_model.pb does not yet.
        half = os.path.join(toy_base, "3")
        os.makedirs(os.path.join(half, "variables"))
        with caplog.at_level(logging.WARNING, logger="kerasknow.serving.model_server"):
            assert wait_for(lambda: any("no saved_model.pb" in r.getMessage() for r in caplog.records), timeout=5)
            wait_for(lambda: False, timeout=5 * POLL)  # several more polls
        assert server.loaded_version == 2
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)
        assert client.status() == [(1, "END"), (2, "AVAILABLE")]
    finally:
        client.close()


def test_broken_version_keeps_old_one_serving_and_is_retried(toy_base, toy_templates, make_server, caplog):
    server = make_server(toy_base)
    port = server.start()
    broken = os.path.join(toy_base, "2")
    os.makedirs(broken)
    with open(os.path.join(broken, "saved_model.pb"), "wb") as f:
        f.write(b"\x08half-copied")  # the first bytes of a real file, as a slow copy leaves it
    with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
        with caplog.at_level(logging.ERROR, logger="kerasknow.serving.model_server"):
            assert wait_for(lambda: any("failed" in r.getMessage() for r in caplog.records), timeout=5)
        assert server.loaded_version == 1
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 1)
        states = dict(client.status())
        assert states == {1: "AVAILABLE", 2: "END"}

        # The copy completes: the next poll loads it.
        os.remove(os.path.join(broken, "saved_model.pb"))
        os.rmdir(broken)
        push_version(toy_templates[2], toy_base, 2)
        assert wait_for(lambda: server.loaded_version == 2, timeout=30 * POLL + 5)
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)


def test_empty_base_path_waits_for_first_push(tmp_path, toy_templates, make_server):
    base = tmp_path / MODEL_NAME
    base.mkdir()
    server = make_server(str(base))
    port = server.start()
    assert server.loaded_version is None
    assert "waiting for a push" in server.banner()
    with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
        with pytest.raises(ServingError, match="NOT_FOUND.*Could not find any versions of model toy"):
            client.status()
        with pytest.raises(ServingError, match=r"NOT_FOUND.*Servable not found for request: Latest\(toy\)"):
            client.predict_texts(["x"])
        push_version(toy_templates[1], str(base), 1)
        assert wait_for(lambda: server.loaded_version == 1, timeout=30 * POLL + 5)
        assert client.status() == [(1, "AVAILABLE")]


def test_wrong_model_name_is_not_found(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        with pytest.raises(grpc.RpcError, match=r"Servable not found for request: Latest\(other\)") as info:
            stub.Predict(_text_request(["x"], name="other"), timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        status_stub = model_service_pb2_grpc.ModelServiceStub(channel)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "other"
        with pytest.raises(grpc.RpcError, match="Could not find any versions of model other") as info:
            status_stub.GetModelStatus(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        channel.close()


def test_bad_inputs_are_invalid_argument(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        request = predict_pb2.PredictRequest()
        request.model_spec.name = MODEL_NAME
        request.inputs["words"].CopyFrom(tf.make_tensor_proto(np.array([b"x"], dtype=object)))
        expected = r"alias not found in signature: words\. Inputs expected to be in the set \{texts\}"
        with pytest.raises(grpc.RpcError, match=expected) as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        request = predict_pb2.PredictRequest()
        request.model_spec.name = MODEL_NAME
        request.model_spec.signature_name = "scale"
        request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0, 2.0]], dtype=np.float64)))
        with pytest.raises(grpc.RpcError, match="to be float32 but float64 is provided") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([1.0, 2.0, 3.0], dtype=np.float32)))
        with pytest.raises(grpc.RpcError, match=r"must have shape \(None, 2\)") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        request = predict_pb2.PredictRequest()
        request.model_spec.name = MODEL_NAME
        with pytest.raises(grpc.RpcError, match="Missing inputs: texts") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()


def test_unknown_signature_fails_like_tf_serving(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        expected = r'signature key "nope" not found.*image_size, scale, serving_default'
        with pytest.raises(grpc.RpcError, match=expected) as info:
            stub.Predict(_text_request(["x"], signature="nope"), timeout=10)
        assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        channel.close()


def test_specific_versions_and_labels(toy_base, make_server):
    port = make_server(toy_base, version_labels={"stable": 1, "canary": 2}).start()
    channel, stub = _stub(port)
    try:
        request = _text_request(["x"])
        request.model_spec.version.value = 1
        assert stub.Predict(request, timeout=10).model_spec.version.value == 1
        request.model_spec.version.value = 7
        with pytest.raises(grpc.RpcError, match=r"Servable not found for request: Specific\(toy, 7\)") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        request.model_spec.version_label = "stable"
        assert stub.Predict(request, timeout=10).model_spec.version.value == 1
        request.model_spec.version_label = "canary"  # a label for a version not loaded
        with pytest.raises(grpc.RpcError, match=r"Specific\(toy, 2\)") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        request.model_spec.version_label = "nope"
        with pytest.raises(grpc.RpcError, match="Unrecognized servable version label: nope") as info:
            stub.Predict(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()


def test_metadata_is_a_packed_signature_def_map(toy_base, make_server):
    port = make_server(toy_base).start()
    channel, stub = _stub(port)
    try:
        request = get_model_metadata_pb2.GetModelMetadataRequest()
        request.model_spec.name = MODEL_NAME
        request.metadata_field.append("signature_def")
        response = stub.GetModelMetadata(request, timeout=10)
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        assert response.metadata["signature_def"].Unpack(signature_map)
        assert response.model_spec.version.value == 1
        serving_default = signature_map.signature_def["serving_default"]
        assert set(serving_default.inputs) == {"texts"}
        assert serving_default.inputs["texts"].dtype == tf.string.as_datatype_enum
        assert set(serving_default.outputs) == {"labels", "class_ids", "probabilities"}

        request.metadata_field[0] = "graph"
        with pytest.raises(grpc.RpcError, match="Metadata field graph is not supported") as info:
            stub.GetModelMetadata(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        channel.close()


def test_banner_names_the_production_command(toy_base, make_server):
    server = make_server(toy_base)
    port = server.start()
    banner = server.banner()
    assert "DEVELOPMENT" in banner and f"127.0.0.1:{port}" in banner
    assert (
        f"tensorflow_model_server --port=8500 --rest_api_port=8501 --model_name={MODEL_NAME} "
        f"--model_base_path={os.path.abspath(toy_base)}"
    ) in banner


def test_port_in_use_is_an_os_error(toy_base, make_server):
    port = make_server(toy_base).start()
    with pytest.raises(OSError, match=f"Cannot bind the development server to 127.0.0.1:{port}"):
        make_server(toy_base, port=port).start()


def test_start_twice_and_stop_twice(toy_base, make_server):
    server = make_server(toy_base)
    server.start()
    with pytest.raises(RuntimeError, match="already started"):
        server.start()
    server.stop()
    server.stop()
    assert server.wait(timeout=0.1) is False


def test_context_manager_stops_the_server(toy_base):
    with DevModelServer(toy_base, MODEL_NAME, port=0, poll_seconds=POLL) as server:
        port = server.port
        with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
            assert client.status() == [(1, "AVAILABLE")]
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", port))


def test_constructor_checks_arguments(tmp_path, toy_base):
    with pytest.raises(ConfigError, match="not a directory"):
        DevModelServer(str(tmp_path / "missing"), MODEL_NAME, port=0)
    parent = os.path.dirname(toy_base)
    with pytest.raises(ConfigError, match=f"parent of the model's folder.*Fix: pass '{toy_base}'"):
        DevModelServer(parent, MODEL_NAME, port=0)
    with pytest.raises(ConfigError, match="poll_seconds must be > 0"):
        DevModelServer(toy_base, MODEL_NAME, poll_seconds=0)
    with pytest.raises(ConfigError, match="model_name must be"):
        DevModelServer(toy_base, "a/b")
    with pytest.raises(ConfigError, match="port must be"):
        DevModelServer(toy_base, MODEL_NAME, port=70000)
