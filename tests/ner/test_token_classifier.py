import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.ner.label_alignment import IGNORE_LABEL
from kerasknow.ner.token_classifier import MaskedSparseCategoricalCrossentropy, MaskedTokenAccuracy, build_token_classifier

TINY = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}


def test_masked_loss_ignores_masked_pieces():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3)).astype("float32")
    labels = np.array([[IGNORE_LABEL, 0, 2, IGNORE_LABEL, IGNORE_LABEL], [IGNORE_LABEL, 1, IGNORE_LABEL, 0, IGNORE_LABEL]])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    kept = [(b, t) for b in range(2) for t in range(5) if labels[b, t] != IGNORE_LABEL]
    expected = -np.mean([log_probs[b, t, labels[b, t]] for b, t in kept])
    loss = MaskedSparseCategoricalCrossentropy()
    assert float(loss(labels, logits)) == pytest.approx(expected, rel=1e-5)
    # More padding does not change the loss.
    padded_logits = np.concatenate([logits, rng.normal(size=(2, 4, 3)).astype("float32")], axis=1)
    padded_labels = np.concatenate([labels, np.full((2, 4), IGNORE_LABEL)], axis=1)
    assert float(loss(padded_labels, padded_logits)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(np.full((1, 2), IGNORE_LABEL), logits[:1, :2])) == 0.0


def test_masked_accuracy():
    metric = MaskedTokenAccuracy()
    logits = tf.one_hot([[0, 1, 2, 2]], 3)
    metric.update_state(tf.constant([[0, 2, IGNORE_LABEL, 2]]), logits)
    assert float(metric.result()) == pytest.approx(2 / 3)
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_loss_and_metric_serialise():
    loss = tf.keras.losses.deserialize(tf.keras.losses.serialize(MaskedSparseCategoricalCrossentropy()))
    assert isinstance(loss, MaskedSparseCategoricalCrossentropy)
    metric = MaskedTokenAccuracy.from_config(MaskedTokenAccuracy(name="acc").get_config())
    assert metric.name == "acc"


def test_build_tiny_and_fit_one_step():
    model = build_token_classifier("", 5, dropout=0.2, learning_rate=1e-3, tiny_config=TINY)
    assert model.output_shape == (None, None, 5)
    x = {"input_ids": tf.constant([[101, 7592, 102, 0]]), "attention_mask": tf.constant([[1, 1, 1, 0]]),
         "token_type_ids": tf.zeros((1, 4), tf.int32)}
    y = tf.constant([[IGNORE_LABEL, 3, IGNORE_LABEL, IGNORE_LABEL]])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert set(history.history) == {"loss", "token_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_loads_a_checkpoint(tiny_bert_dir):
    model = build_token_classifier(tiny_bert_dir, 3)
    assert model.output_shape == (None, None, 3)


@pytest.mark.parametrize("kwargs,match", [
    ({"num_labels": 0}, "num_labels must be a positive int"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"learning_rate": 0.0}, "learning_rate must be positive"),
    ({"tiny_config": {"hidden_sise": 8}}, r"unknown: \['hidden_sise'\]"),
])
def test_bad_arguments(kwargs, match):
    args = {"checkpoint": "", "num_labels": 3, "tiny_config": TINY, **kwargs}
    with pytest.raises(ConfigError, match=match):
        build_token_classifier(**args)
