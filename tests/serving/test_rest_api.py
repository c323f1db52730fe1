"""The REST API in TF Serving's formats, its metrics, and the REST client, on the toy model."""
import base64
import json
import urllib.request

import numpy as np
import pytest
from serving_toys import MODEL_NAME, expected_labels

from kerasknow.serving.cli import predict_main
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.rest_prediction_client import RestPredictionClient
from kerasknow.serving.serving_error import ServingError

TEXTS = ["hi", "a much longer text"]


@pytest.fixture(scope="module")
def rest_toy(tmp_path_factory, toy_templates):
    from serving_toys import push_version

    from kerasknow.serving.model_server import DevModelServer

    base = tmp_path_factory.mktemp("rest") / MODEL_NAME
    base.mkdir()
    push_version(toy_templates[1], str(base), 1)
    server = DevModelServer(str(base), MODEL_NAME, port=0, rest_port=0, poll_seconds=0.2, version_labels={"stable": 1})
    server.start()
    yield server, f"http://127.0.0.1:{server.rest_port}"
    server.stop(grace=0)


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def _post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_status_and_metadata_are_tf_servings_json(rest_toy):
    _, url = rest_toy
    for path in ("", "/versions/1", "/labels/stable"):
        assert _get(f"{url}/v1/models/{MODEL_NAME}{path}") == {"model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    metadata = _get(f"{url}/v1/models/{MODEL_NAME}/metadata")
    assert metadata["model_spec"] == {"name": MODEL_NAME, "version": "1", "signature_name": ""}
    signature = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["inputs"]["texts"]["dtype"] == "DT_STRING"
    assert set(signature["outputs"]) == {"labels", "class_ids", "probabilities"}


def test_row_and_columnar_predictions(rest_toy):
    _, url = rest_toy
    rows = _post(f"{url}/v1/models/{MODEL_NAME}:predict", {"instances": TEXTS})["predictions"]
    assert [r["labels"] for r in rows] == ["short", "long"] and [r["class_ids"] for r in rows] == [0, 1]
    assert _post(f"{url}/v1/models/{MODEL_NAME}:predict", {"instances": [{"texts": t} for t in TEXTS]})[
        "predictions"] == rows
    columns = _post(f"{url}/v1/models/{MODEL_NAME}/versions/1:predict", {"inputs": {"texts": TEXTS}})["outputs"]
    assert columns["labels"] == ["short", "long"]
    np.testing.assert_allclose(columns["probabilities"], [r["probabilities"] for r in rows])
    # Binary input as {"b64": ...}; a single output comes back bare.
    image = b"\x89PNG\x00\xff"
    answer = _post(f"{url}/v1/models/{MODEL_NAME}:predict",
                   {"signature_name": "image_size", "inputs": [{"b64": base64.b64encode(image).decode()}]})
    assert answer == {"outputs": [len(image)]}
    scaled = _post(f"{url}/v1/models/{MODEL_NAME}:predict", {"signature_name": "scale", "instances": [[1.0, 2.0]]})
    assert scaled == {"predictions": [[2.0, 4.0]]}


def test_the_rest_client_answers_what_the_grpc_client_answers(rest_toy, capsys):
    server, url = rest_toy
    with RestPredictionClient(url, MODEL_NAME) as rest, PredictionClient(f"127.0.0.1:{server.port}", MODEL_NAME) as g:
        via_rest, via_grpc = rest.predict_texts(TEXTS, version_label="stable"), g.predict_texts(TEXTS)
        assert set(via_rest) == set(via_grpc)
        for name in via_grpc:
            assert via_rest[name].dtype == via_grpc[name].dtype, name
            np.testing.assert_array_equal(via_rest[name], via_grpc[name])
        assert rest.status() == g.status() == [(1, "AVAILABLE")]
        assert rest.metadata() == g.metadata()
        with pytest.raises(ServingError, match=r"NOT_FOUND \(HTTP 404\).*Specific\(toy, 4\)"):
            rest.predict_texts(["x"], version=4)
    assert predict_main(["--rest", url, "--model", MODEL_NAME, *TEXTS]) == 0
    assert capsys.readouterr().out.splitlines() == ["hi -> short (p=0.95)", "a much longer text -> long (p=1.00)"]
    assert list(via_grpc["labels"]) == expected_labels(TEXTS, 1)


def test_prometheus_metrics_count_requests_per_model_and_version(rest_toy):
    server, url = rest_toy
    before = _metric(url, "REST")
    _post(f"{url}/v1/models/{MODEL_NAME}:predict", {"instances": TEXTS})
    with pytest.raises(urllib.error.HTTPError):
        _post(f"{url}/v1/models/{MODEL_NAME}/versions/5:predict", {"instances": TEXTS})
    with urllib.request.urlopen(f"{url}/monitoring/prometheus/metrics", timeout=30) as answer:
        text = answer.read().decode()
        assert answer.headers["Content-Type"].startswith("text/plain")
    assert _metric(url, "REST") == before + 1
    assert ':tensorflow:serving:request_count{API="predict",entrypoint="REST",model_name="toy",status="NOT_FOUND",' \
           'version=""}' in text
    assert ':tensorflow:serving:request_latency_bucket{API="predict",entrypoint="REST",model_name="toy",' \
           'version="1",le="+Inf"}' in text
    assert ':kerasknow:dev_server:model_version_available{model_name="toy",version="1"} 1' in text


def _metric(url, entrypoint):
    with urllib.request.urlopen(f"{url}/monitoring/prometheus/metrics", timeout=30) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(f':tensorflow:serving:request_count{{API="predict",entrypoint="{entrypoint}",'
                               f'model_name="toy",status="OK",version="1"}}'):
                return int(line.rsplit(" ", 1)[1])
    return 0
