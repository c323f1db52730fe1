"""ModelRunner and batching: TF Serving's batching file, batched answers, a bounded queue, and small
requests that do not wait for large ones."""
import threading

import grpc
import numpy as np
import pytest
from google.protobuf import text_format
from serving_toys import MODEL_NAME, expected_labels, push_version, save_heavy_model, wait_for

from kerasknow.errors import ConfigError
from kerasknow.serving.batching_parameters import BatchingParameters, batching_file_text
from kerasknow.serving.model_runner import ModelRunner
from kerasknow.serving.model_server import DevModelServer
from kerasknow.serving.predict_request import RequestAbort
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.serving_protos import message_class


def test_the_batching_file_is_tf_servings_batching_parameters(tmp_path):
    path = tmp_path / "batching.config"
    path.write_text("# comments are fine\nmax_batch_size { value: 16 }\nbatch_timeout_micros { value: 5000 }\n"
                    "max_enqueued_batches { value: 4 }\nnum_batch_threads { value: 2 }\n"
                    "allowed_batch_sizes: 8\nallowed_batch_sizes: 16\n")
    params = BatchingParameters.from_file(str(path))
    assert params == BatchingParameters(16, 5000, 4, 2, (8, 16), False)
    # What the pusher writes parses with the same message type, field for field.
    proto = text_format.Parse(batching_file_text(32, 2000, 4, 4), message_class("BatchingParameters")())
    assert [f.name for f, _ in proto.ListFields()] == ["max_batch_size", "batch_timeout_micros",
                                                        "max_enqueued_batches", "num_batch_threads"]
    with pytest.raises(ConfigError, match="not a tensorflow.serving.BatchingParameters text proto"):
        BatchingParameters.from_text("max_batch_size: 16")  # a wrapper value, not a bare number
    with pytest.raises(ConfigError, match=r"allowed_batch_sizes must be increasing and end with max_batch_size \(16\)"):
        BatchingParameters(max_batch_size=16, allowed_batch_sizes=(8, 12))
    with pytest.raises(ConfigError, match="does not exist. Received: --batching-parameters-file"):
        BatchingParameters.from_file(str(tmp_path / "missing"))


def test_concurrent_requests_are_answered_in_fewer_batched_calls(toy_base, tmp_path):
    params = tmp_path / "batching.config"
    params.write_text(batching_file_text(max_batch_size=8, batch_timeout_micros=300_000, num_batch_threads=1))
    texts = [f"text {'x' * i}" for i in range(8)]
    answers = {}
    start = threading.Barrier(len(texts))
    with DevModelServer(toy_base, MODEL_NAME, port=0, batching_parameters_file=str(params)) as server:
        def ask(text):
            with PredictionClient(f"127.0.0.1:{server.port}", MODEL_NAME) as client:
                start.wait()
                answers[text] = client.predict_texts([text])["labels"][0]

        threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        metrics = server.metrics.render(server.models)
    assert [answers[t] for t in texts] == expected_labels(texts, 1)
    calls = int(next(line for line in metrics.splitlines() if line.startswith(":kerasknow:dev_server:batch_size_count"))
                .rsplit(" ", 1)[1])
    assert calls < len(texts), metrics


def test_a_large_request_is_run_in_pieces_with_the_same_answer(toy_base):
    import tensorflow as tf

    from kerasknow.serving.model_versions import ModelVersions
    from tensorflow_serving.apis import predict_pb2

    versions = ModelVersions(MODEL_NAME, toy_base)
    versions.poll()
    texts = [f"t{'x' * (i % 9)}" for i in range(10)]
    request = predict_pb2.PredictRequest()
    request.inputs["texts"].CopyFrom(tf.make_tensor_proto(np.array([t.encode() for t in texts], dtype=object)))
    prepared = versions.servable(1).prepare(request)
    runner = ModelRunner(threads=2, chunk_rows=3)
    try:
        outputs = runner.run(prepared)
    finally:
        runner.stop()
    assert list(outputs["labels"]) == expected_labels(texts, 1)
    np.testing.assert_allclose(outputs["probabilities"], prepared.run()["probabilities"], atol=1e-6)


class _Blocking:
    """A stand-in for a PreparedPredict whose model call waits until released."""

    rows, tensors, outputs, servable, signature_name = None, {}, [], None, "serving_default"

    def __init__(self):
        self.started, self.release = threading.Event(), threading.Event()

    def run(self):
        self.started.set()
        self.release.wait(30)
        return {}


def test_a_full_queue_answers_unavailable_at_once():
    runner = ModelRunner(threads=1, max_queued=1)
    running, queued = _Blocking(), _Blocking()
    threads = [threading.Thread(target=runner.run, args=(p,)) for p in (running, queued)]
    try:
        threads[0].start()
        assert running.started.wait(30)
        threads[1].start()
        assert wait_for(lambda: len(runner._queue) == 1, timeout=30)
        with pytest.raises(RequestAbort, match="queue to which this task was submitted is full") as info:
            runner.run(_Blocking())
        assert info.value.code == grpc.StatusCode.UNAVAILABLE
    finally:
        running.release.set()
        queued.release.set()
        for thread in threads:
            thread.join(timeout=30)
        runner.stop()
    assert queued.started.is_set()


def test_a_small_request_is_answered_while_four_large_ones_run(tmp_path):
    base = tmp_path / "heavy"
    base.mkdir()
    push_version(save_heavy_model(str(tmp_path / "template")), str(base), 1)
    finished = []
    with DevModelServer(str(base), "heavy", port=0, model_threads=1) as server:
        def ask(name, rows):
            with PredictionClient(f"127.0.0.1:{server.port}", "heavy", timeout=600) as client:
                client.predict_texts(["x"] * rows)
            finished.append(name)

        large = [threading.Thread(target=ask, args=(f"large{i}", 1000)) for i in range(4)]
        for thread in large:
            thread.start()
        runner = server.handlers.runner
        assert wait_for(lambda: len(runner._queue) >= 3, timeout=60)  # the large ones are in, piece by piece
        ask("small", 1)
        for thread in large:
            thread.join(timeout=600)
    assert finished[0] == "small", finished
