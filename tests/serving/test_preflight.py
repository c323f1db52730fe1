"""Preflight: the op list, the child process, and a SavedModel with an op TF Serving lacks."""
import os
import shutil

import pytest
from serving_toys import with_warmup

from kerasknow.serving.preflight import OPS_FILE, render_preflight, run_preflight
from kerasknow.serving.preflight_probe import predict_request_of
from kerasknow.serving.warmup_requests import predict_requests

TEXTS = ["hi", "a much longer text", "mid length"]


@pytest.fixture(scope="module")
def warm_toy(tmp_path_factory, toy_templates):
    return with_warmup(toy_templates[1], str(tmp_path_factory.mktemp("preflight") / "toy"), TEXTS)


def _ops():
    with open(OPS_FILE, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def test_the_op_list_is_kept_with_its_source():
    lines = _ops()
    header = " ".join(line for line in lines if line.startswith("#"))
    assert "tensorflow_serving/model_servers/BUILD" in header and "tensorflow_text:ops_lib" in header
    assert "tensorflow 2.16" in header and "tensorflow-text 2.16" in header
    ops = {line for line in lines if not line.startswith("#")}
    # Core TensorFlow and the tensorflow-text ops kerasknow's tokenizers use.
    assert {"MatMul", "StringLength", "FastWordpieceTokenizeWithOffsets", "WordpieceTokenizeWithOffsets",
            "FastBertNormalize", "RegexSplitWithOffsets"} <= ops


def test_the_probes_wire_reader_reads_what_tf_servings_protos_write():
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2

    request = predict_requests("toy", {"texts": ["a", "b"]}, signature_name="scale", rows_per_request=2)[0]
    from tensorflow_serving.apis import prediction_log_pb2

    log = prediction_log_pb2.PredictionLog()
    log.predict_log.request.CopyFrom(request)
    log.log_metadata.model_spec.name = "toy"
    signature, inputs = predict_request_of(log.SerializeToString())
    assert signature == "scale"
    assert list(tf.make_ndarray(tensor_pb2.TensorProto.FromString(inputs["texts"]))) == [b"a", b"b"]
    other = prediction_log_pb2.PredictionLog()
    other.classify_log.request.model_spec.name = "toy"
    assert predict_request_of(other.SerializeToString()) is None


def test_a_servable_model_passes_with_outputs_equal_to_the_in_process_ones(warm_toy):
    report = run_preflight(warm_toy, {"texts": "string"}, timing_calls=5)
    assert report["ok"] is True, report["problems"]
    assert report["foreign_modules"] == []  # loaded with tensorflow and tensorflow_text alone
    assert report["warmup"] == {"requests": 3, "matches_in_process": True}
    assert set(report["latency_ms"]) == {"batch_1", "batch_16"}
    text = render_preflight(report)
    assert "PASSED" in text and "latency batch 16: p50" in text


def test_an_op_tf_serving_does_not_ship_fails_the_preflight(warm_toy, tmp_path):
    """A SavedModel whose graph has an op from a library TF Serving does not link (TF Addons')."""
    from tensorflow.core.protobuf import saved_model_pb2

    broken = str(tmp_path / "addons")
    shutil.copytree(warm_toy, broken)
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(broken, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    replaced = 0
    for function in saved_model.meta_graphs[0].graph_def.library.function:
        for node in function.node_def:
            if node.op == "StringLength":
                node.op = "Addons>GeluLike"
                replaced += 1
    assert replaced
    with open(os.path.join(broken, "saved_model.pb"), "wb") as f:
        f.write(saved_model.SerializeToString())
    report = run_preflight(broken, {"texts": "string"}, timing_calls=1)
    assert report["ok"] is False
    assert report["ops"]["not_in_tf_serving"] == ["Addons>GeluLike"]
    assert any("does not ship: Addons>GeluLike" in p for p in report["problems"])
    assert any("Loading the SavedModel with only tensorflow and tensorflow_text failed" in p and "Addons>GeluLike"
               in p for p in report["problems"])
    # An op TensorFlow has but the list lacks is reported though the model loads.
    short = tmp_path / "ops.txt"
    short.write_text("\n".join(op for op in _ops() if op != "StringLength"))
    report = run_preflight(warm_toy, {"texts": "string"}, ops_file=str(short), timing_calls=1)
    assert report["problems"] == ["The graph uses op(s) TF Serving 2.16 does not ship: StringLength (list: ops.txt)."]
