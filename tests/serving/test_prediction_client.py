"""PredictionClient against a DevModelServer on 127.0.0.1 (the public protos only)."""
import socket
import threading

import numpy as np
import pytest
from serving_toys import MODEL_NAME, expected_labels

from kerasknow.errors import ConfigError
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.serving_error import ServingError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_predict_texts_follows_the_models_rule(served_toy):
    _, target = served_toy
    texts = ["hi", "ünïcödé", "a much longer text"]
    with PredictionClient(target, MODEL_NAME) as client:
        outputs = client.predict_texts(texts)
    assert set(outputs) == {"labels", "class_ids", "probabilities"}
    assert list(outputs["labels"]) == expected_labels(texts, 1)
    byte_lengths = np.array([len(t.encode("utf-8")) for t in texts])
    np.testing.assert_array_equal(outputs["class_ids"], (byte_lengths > 5).astype(np.int64))
    assert outputs["probabilities"].shape == (3, 2) and outputs["probabilities"].dtype == np.float32
    np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(outputs["probabilities"][:, 1], 1 / (1 + np.exp(-(byte_lengths - 5))), rtol=1e-5)


def test_generic_predict_with_another_signature_and_filter(served_toy):
    _, target = served_toy
    x = np.array([[1.5, -2.0], [0.0, 3.0]], dtype=np.float32)
    with PredictionClient(target, MODEL_NAME, signature_name="scale") as client:
        np.testing.assert_array_equal(client.predict({"x": x})["y"], x * 2)
        np.testing.assert_array_equal(client.predict({"x": x}, version=1)["y"], x * 2)
    with PredictionClient(target, MODEL_NAME) as client:
        outputs = client.predict({"texts": ["hi", "a much longer text"]}, output_filter=["labels"])
    assert set(outputs) == {"labels"}
    assert list(outputs["labels"]) == [b"short", b"long"]


def test_predict_images_sends_encoded_bytes(served_toy):
    _, target = served_toy
    images = [b"\x89PNG\r\n\x1a\n" + bytes(range(20)), b"\xff\xd8\xff" + b"\x00" * 5]
    with PredictionClient(target, MODEL_NAME, signature_name="image_size") as client:
        outputs = client.predict_images(images)
    np.testing.assert_array_equal(outputs["num_bytes"], [len(b) for b in images])


def test_metadata_lists_signatures_with_dtypes_and_shapes(served_toy):
    _, target = served_toy
    with PredictionClient(target, MODEL_NAME) as client:
        metadata = client.metadata()
    assert sorted(metadata) == ["image_size", "scale", "serving_default"]
    serving_default = metadata["serving_default"]
    assert serving_default["inputs"] == {"texts": {"dtype": "string", "shape": [-1]}}
    assert serving_default["outputs"] == {
        "class_ids": {"dtype": "int64", "shape": [-1]},
        "labels": {"dtype": "string", "shape": [-1]},
        "probabilities": {"dtype": "float32", "shape": [-1, 2]},
    }
    assert serving_default["method_name"] == "tensorflow/serving/predict"
    assert metadata["scale"]["inputs"] == {"x": {"dtype": "float32", "shape": [-1, 2]}}


def test_status_lists_versions_and_states(served_toy):
    server, target = served_toy
    with PredictionClient(target, MODEL_NAME) as client:
        assert client.status() == [(server.loaded_version, "AVAILABLE")]


def test_server_errors_keep_the_servers_message(served_toy):
    _, target = served_toy
    with PredictionClient(target, "other") as client:
        expected = r"answered NOT_FOUND.*Servable not found for request: Latest\(other\)"
        with pytest.raises(ServingError, match=expected) as info:
            client.predict_texts(["x"])
    assert info.value.code == "NOT_FOUND"
    assert "Servable not found" in info.value.details
    with PredictionClient(target, MODEL_NAME) as client:
        with pytest.raises(ServingError, match=r"INVALID_ARGUMENT.*alias not found in signature: words") as info:
            client.predict_texts(["x"], input_name="words")
        assert info.value.code == "INVALID_ARGUMENT"
    with PredictionClient(target, MODEL_NAME, signature_name="scale") as client:
        with pytest.raises(ServingError, match="to be float32 but float64 is provided"):
            client.predict({"x": [[1.0, 2.0]]})


def test_connection_refused_names_target_and_fix():
    target = f"127.0.0.1:{_free_port()}"
    with PredictionClient(target, MODEL_NAME, timeout=5) as client:
        expected = rf"TF Serving at {target} is unreachable.*kerasknow serve --model-base-path DIR/toy --model-name toy"
        with pytest.raises(ConnectionError, match=expected):
            client.predict_texts(["x"])
        with pytest.raises(ConnectionError, match="unreachable"):
            client.status()


def test_deadline_is_a_connection_error():
    # A TCP listener that never speaks HTTP/2: the call can only end by its deadline.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except socket.timeout:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    target = f"127.0.0.1:{listener.getsockname()[1]}"
    try:
        with PredictionClient(target, MODEL_NAME, timeout=0.5) as client:
            expected = rf"TF Serving at {target} timed out \(DEADLINE_EXCEEDED.*kerasknow serve"
            with pytest.raises(ConnectionError, match=expected):
                client.predict_texts(["x"])
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_arguments_are_checked_early():
    with pytest.raises(ConfigError, match="target must be 'host:port'"):
        PredictionClient("", MODEL_NAME)
    with pytest.raises(ConfigError, match="model_name must be"):
        PredictionClient("127.0.0.1:1", "")
    with pytest.raises(ConfigError, match="timeout must be > 0"):
        PredictionClient("127.0.0.1:1", MODEL_NAME, timeout=0)
    with PredictionClient("127.0.0.1:1", MODEL_NAME) as client:
        with pytest.raises(ConfigError, match="non-empty list of str"):
            client.predict_texts("just one string")
        with pytest.raises(ConfigError, match="non-empty list of str"):
            client.predict_texts([])
        with pytest.raises(ConfigError, match="non-empty list of encoded image bytes"):
            client.predict_images(["not bytes"])
        with pytest.raises(ConfigError, match="at least one input"):
            client.predict({})
