"""The end-to-end tests' one small-config factory and small real data (fixtures in conftest.py)."""
import os

import numpy as np

from kerasknow.config import RunConfig

TINY_BACKBONE = "MobileNetV2(alpha=0.35)"
DIGIT_CLASSES = ("digit0", "digit1", "digit2")

# Per task: the sections that make a run small (tiny model, one short epoch, one tuner trial).
_SMALL = {
    "text-classification": dict(
        ingest={"eval_fraction": 0.25}, validation={"min_examples_per_label": 2}, model={"max_seq_length": 32},
        tuning={"trials": 1, "max_examples": 16, "learning_rates": [1e-3], "dropouts": [0.1]},
        training={"epochs": 1, "batch_size": 8}),
    "ner": dict(
        ingest={"eval_fraction": 0.25}, validation={"min_mentions_per_type": 1}, model={"max_seq_length": 48},
        tuning={"trials": 1, "max_examples": 32, "learning_rates": [1e-3], "dropouts": [0.1]},
        training={"epochs": 1, "batch_size": 16}),
    "image-classification": dict(
        ingest={"eval_fraction": 0.25, "max_reject_fraction": 0.05}, validation={"min_examples_per_label": 2},
        model={"backbone": TINY_BACKBONE, "backbone_weights": "none", "image_size": 32},
        tuning={"trials": 1, "max_examples": 32, "learning_rates": [2e-3], "dropouts": [0.1]},
        training={"epochs": 2, "batch_size": 16}),
}


def small_config(task: str, data: str, output: str, checkpoint: str = "", model_name: str = "knowledge",
                 **sections) -> RunConfig:
    """A config for a fast end-to-end run of `task`; `sections` override fields section by section.

    Example: `small_config("ner", data, out, tiny_bert_dir, training={"epochs": 2})`.
    """
    values = {name: dict(fields) for name, fields in _SMALL[task].items()}
    if checkpoint:
        values.setdefault("model", {})["checkpoint"] = checkpoint
    values["serving"] = {"model_name": model_name}
    # Tiny models trained for seconds score near chance: these runs test the plumbing, so they
    # bless at any figure (the gate's own end-to-end tests set real thresholds).
    values["blessing"] = {"min_accuracy": 0.0, "min_f1": 0.0}
    for name, fields in sections.items():
        values.setdefault(name, {}).update(fields)
    return RunConfig(task=task, data=data, output=output, **values)


def digits_folder(root, per_class: int = 30) -> str:
    """Real 8x8 handwritten digits (scikit-learn's copy of the UCI set) as PNG class folders."""
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for c, name in enumerate(DIGIT_CLASSES):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i, img in enumerate(digits.images[digits.target == c][:per_class]):
            pixels = (img * 255.0 / 16.0).round().astype(np.uint8)
            Image.fromarray(pixels, mode="L").save(os.path.join(root, name, f"{i:03d}.png"))
    return str(root)


FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def fashion_folder(root, per_class: int, classes=(0, 1, 8, 9)) -> str:
    """The first `per_class` Fashion-MNIST training images of each class as 28x28 greyscale PNG
    folders named by class (`T-shirt-top/`, `Trouser/`, ...): a small, real knowledge base."""
    from PIL import Image

    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx

    images = read_idx(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz"), 0x803, "images")
    labels = read_idx(os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz"), 0x801, "labels")
    for c in classes:
        folder = os.path.join(root, FASHION_MNIST_CLASSES[c].replace("/", "-").replace(" ", "-"))
        os.makedirs(folder, exist_ok=True)
        for i, index in enumerate(np.flatnonzero(labels == c)[:per_class]):
            Image.fromarray(images[index], mode="L").save(os.path.join(folder, f"{i:04d}.png"))
    return str(root)


def served_both_ways(cfg: RunConfig, inputs):
    """Serves the run's `models.config` (as the pusher wrote it) over gRPC and REST, replays the
    pushed version's warm-up records (parsed as TF Serving's `PredictionLog`) over gRPC, and
    returns `(gRPC answer, REST answer)` for `inputs` (input name -> values).
    """
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2, prediction_service_pb2_grpc

    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient
    from kerasknow.serving.rest_prediction_client import RestPredictionClient

    name = cfg.serving.model_name
    config = os.path.join(os.path.dirname(cfg.serving_model_dir()), "models.config")
    with DevModelServer(model_config_file=config, port=0, rest_port=0,
                        allow_version_labels_for_unavailable_models=True) as server:
        servable = server.models[name].servable(server.models[name].loaded_version)
        path = os.path.join(servable.path, "assets.extra", "tf_serving_warmup_requests")
        logs = [prediction_log_pb2.PredictionLog.FromString(r.numpy()) for r in tf.data.TFRecordDataset(path)]
        assert 0 < len(logs) <= cfg.serving.warmup_requests and servable.warmup_requests == len(logs)
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            for log in logs:
                assert stub.Predict(log.predict_log.request, timeout=60).outputs
        with PredictionClient(f"127.0.0.1:{server.port}", name) as grpc_client, \
                RestPredictionClient(f"http://127.0.0.1:{server.rest_port}", name) as rest_client:
            return (grpc_client.predict(inputs, version_label="stable"),
                    rest_client.predict(inputs, version_label="stable"))


def assert_same_answers(first, second):
    """Two Predict answers (output name -> array) are equal, dtype and all."""
    assert set(first) == set(second) and first
    for name, value in first.items():
        assert second[name].dtype == value.dtype, name
        np.testing.assert_array_equal(second[name], value, err_msg=name)
