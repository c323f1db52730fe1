"""Toy SavedModels for the serving tests (no BERT needed): a text-length rule per version."""
import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import os
import shutil
import time

import tensorflow as tf

MODEL_NAME = "toy"
# Rule per version: a text is "long" when it has more than THRESHOLD bytes.
RULES = {1: (5, ("short", "long")), 2: (10, ("v2_short", "v2_long"))}


class ToyTextModel(tf.Module):
    """`serving_default(texts)` -> labels / class_ids / probabilities by a text-length rule, plus
    `scale(x)` (float32 [None, 2]) and `image_size(images)` (encoded bytes) signatures."""

    def __init__(self, threshold: int, labels):
        super().__init__()
        self.threshold = tf.Variable(threshold, dtype=tf.int32)
        self.labels = tf.constant(list(labels))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def classify(self, texts):
        lengths = tf.strings.length(texts)
        class_ids = tf.cast(lengths > self.threshold, tf.int64)
        p_long = tf.sigmoid(tf.cast(lengths - self.threshold, tf.float32))
        probabilities = tf.stack([1.0 - p_long, p_long], axis=1)
        return {"labels": tf.gather(self.labels, class_ids), "class_ids": class_ids, "probabilities": probabilities}

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
    def scale(self, x):
        return {"y": x * 2.0}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    def image_size(self, images):
        return {"num_bytes": tf.strings.length(images)}


def save_toy_model(path: str, version: int) -> str:
    threshold, labels = RULES[version]
    module = ToyTextModel(threshold, labels)
    tf.saved_model.save(
        module, path,
        signatures={"serving_default": module.classify, "scale": module.scale, "image_size": module.image_size},
    )
    return path


def expected_labels(texts, version: int):
    threshold, labels = RULES[version]
    return [labels[int(len(t.encode("utf-8")) > threshold)].encode() for t in texts]


def push_version(template: str, base: str, version: int) -> str:
    """Copies a SavedModel in like a pusher: to a temporary name, then an atomic rename."""
    staging = os.path.join(base, f".staging-{version}")
    shutil.copytree(template, staging)
    final = os.path.join(base, str(version))
    os.rename(staging, final)
    return final


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


class HeavyModel(tf.Module):
    """`serving_default(texts)` -> `rows` after ~6 MFLOP of matrix work per text: a model whose
    cost grows with the batch, for the scheduling tests."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def serve(self, texts):
        x = tf.ones([tf.shape(texts)[0], 128])
        w = tf.fill([128, 128], 0.01)
        x = tf.while_loop(lambda i, x: i < 200, lambda i, x: (i + 1, tf.tanh(x @ w)), (0, x))[1]
        return {"rows": tf.reduce_sum(x, axis=1)}


def save_heavy_model(path: str) -> str:
    module = HeavyModel()
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


def with_warmup(template: str, target: str, texts) -> str:
    """A copy of a toy SavedModel with a warm-up file of one request per text."""
    from kerasknow.serving.warmup_requests import predict_requests, write_warmup_requests

    shutil.copytree(template, target)
    write_warmup_requests(target, predict_requests(MODEL_NAME, {"texts": list(texts)}))
    return target
