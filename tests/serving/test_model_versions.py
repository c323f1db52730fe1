"""ModelVersions: what loads when, warm-up on load, and the faults found when the server was probed."""
import logging
import os

import pytest
from serving_toys import MODEL_NAME, expected_labels, push_version, wait_for, with_warmup
from tensorflow_serving.apis import model_pb2

from kerasknow.errors import ConfigError
from kerasknow.serving.model_server import DevModelServer
from kerasknow.serving.model_versions import ModelVersions
from kerasknow.serving.prediction_client import PredictionClient
from kerasknow.serving.version_policy import VersionPolicy

POLL = 0.1
TEXTS = ["hi", "a much longer text"]


def _break(base, version):
    broken = os.path.join(base, str(version))
    os.makedirs(broken)
    with open(os.path.join(broken, "saved_model.pb"), "wb") as f:
        f.write(b"\x08half-copied")
    return broken


def test_a_folder_named_with_a_non_ascii_digit_is_ignored_and_polling_goes_on(toy_base, toy_templates, make_server):
    os.makedirs(os.path.join(toy_base, "\u00b2"))  # "²".isdigit() is True; int("²") raises
    server = make_server(toy_base)
    port = server.start()
    push_version(toy_templates[2], toy_base, 2)
    assert wait_for(lambda: server.loaded_version == 2, timeout=30 * POLL + 5)
    with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
        assert client.status() == [(1, "END"), (2, "AVAILABLE")]
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)


def test_a_version_that_never_loads_is_given_up_after_the_retries(toy_base, toy_templates, caplog):
    versions = ModelVersions(MODEL_NAME, toy_base, max_load_retries=2, load_retry_interval_seconds=0.0)
    versions.poll()
    _break(toy_base, 2)
    with caplog.at_level(logging.DEBUG, logger="kerasknow.serving.model_server"):
        for _ in range(10):
            versions.poll()
    attempts = [r for r in caplog.records if "Loading version 2" in r.getMessage()]
    assert len(attempts) == 3  # the first try and two retries
    assert any("Gave up loading version 2" in r.getMessage() for r in caplog.records)
    assert versions.loaded_versions == [1]
    # A new copy of the version (its saved_model.pb changed) is tried again.
    os.remove(os.path.join(toy_base, "2", "saved_model.pb"))
    os.rmdir(os.path.join(toy_base, "2"))
    push_version(toy_templates[2], toy_base, 2)
    versions.poll()
    assert versions.loaded_versions == [2]


def test_a_broken_newest_version_at_start_up_does_not_hide_an_intact_older_one(toy_base, make_server, caplog):
    _break(toy_base, 2)
    server = make_server(toy_base)
    with caplog.at_level(logging.WARNING, logger="kerasknow.serving.model_server"):
        port = server.start()
    assert server.loaded_version == 1
    assert any("serving version 1 while the newer version(s) 2 fail to load" in r.getMessage() for r in caplog.records)
    with PredictionClient(f"127.0.0.1:{port}", MODEL_NAME) as client:
        assert list(client.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 1)
        assert dict(client.status()) == {1: "AVAILABLE", 2: "END"}


@pytest.mark.parametrize("name", [".", "..", "a/b", "a\\b", " toy"])
def test_model_names_that_are_no_folder_name_are_refused(toy_base, name):
    with pytest.raises(ConfigError, match=r"model_name must be a non-empty folder name .* Received: model_name="):
        DevModelServer(toy_base, name, port=0)


def test_warmup_requests_run_before_a_version_serves(tmp_path, toy_templates, make_server):
    base = tmp_path / MODEL_NAME
    base.mkdir()
    warm = with_warmup(toy_templates[1], str(tmp_path / "warm"), ["one", "two", "three"])
    push_version(warm, str(base), 1)
    server = make_server(str(base))
    server.start()
    assert server.models[MODEL_NAME].servable(1).warmup_requests == 3


def test_a_failing_warmup_request_fails_the_load_and_the_old_version_keeps_serving(toy_base, tmp_path,
                                                                                   toy_templates, make_server):
    from kerasknow.serving.warmup_requests import predict_requests, write_warmup_requests

    bad = str(tmp_path / "bad")
    import shutil

    shutil.copytree(toy_templates[2], bad)
    write_warmup_requests(bad, predict_requests(MODEL_NAME, {"words": ["x"]}))  # no such input
    server = make_server(toy_base, max_load_retries=0)
    server.start()
    push_version(bad, toy_base, 2)
    versions = server.models[MODEL_NAME]
    assert wait_for(lambda: versions.states().get(2, ("",))[0] == "END", timeout=30 * POLL + 5)
    assert "Warm-up request 0 of version 2 failed: input tensor alias not found in signature: words" in \
        versions.states()[2][1]
    assert server.loaded_version == 1


def test_more_than_1000_warmup_records_fail_the_load_as_in_tf_serving(tmp_path, toy_templates):
    from kerasknow.serving.warmup_requests import MAX_WARMUP_RECORDS, predict_requests, read_warmup_requests

    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    target = str(tmp_path / "many")
    with_warmup(toy_templates[1], target, ["x"])
    request = predict_requests(MODEL_NAME, {"texts": ["x"]})[0]
    with tf.io.TFRecordWriter(os.path.join(target, "assets.extra", "tf_serving_warmup_requests")) as writer:
        log = prediction_log_pb2.PredictionLog()
        log.predict_log.request.CopyFrom(request)
        for _ in range(MAX_WARMUP_RECORDS + 1):
            writer.write(log.SerializeToString())
    with pytest.raises(ValueError, match=r"Number of warmup records exceeds the maximum \(1000\)"):
        read_warmup_requests(target)


def test_a_specific_policy_serves_exactly_its_versions(toy_base, toy_templates):
    push_version(toy_templates[2], toy_base, 2)
    versions = ModelVersions(MODEL_NAME, toy_base, policy=VersionPolicy.specific([1, 2]), version_labels={"stable": 1})
    versions.poll()
    assert versions.loaded_versions == [1, 2]
    assert versions.resolve(model_pb2.ModelSpec(name=MODEL_NAME, version_label="stable")).version == 1
    assert versions.resolve(model_pb2.ModelSpec(name=MODEL_NAME)).version == 2  # the newest, without a label
    versions.update(VersionPolicy.specific([1]), {"stable": 1})
    versions.poll()
    assert versions.loaded_versions == [1]
