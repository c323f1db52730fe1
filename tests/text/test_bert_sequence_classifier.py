"""build_bert_sequence_classifier: a compiled Keras 2 BERT classifier (tiny checkpoint)."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier
from kerasknow.models.linear_warmup_decay import LinearWarmupDecay


def _toy_set(n=32, length=10, seed=0):
    """The class is the first token: the pooled output reads that position, so even a tiny,
    randomly initialised BERT learns it in a few steps."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(3000, 3100, size=(n, length)).astype("int32")
    labels = np.arange(n) % 2
    ids[:, 0] = np.where(labels == 1, 2000, 2001)
    ids[:, -1] = 102
    features = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids)}
    return features, labels.astype("int32")


def _batch(length, batch=3):
    ids = np.full((batch, length), 2000, "int32")
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def test_builds_and_returns_float32_logits_for_any_length(tiny_bert_dir):
    tf.random.set_seed(0)
    model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=3)
    assert model.optimizer.__class__.__name__ == "AdamW"
    assert model.loss.get_config()["from_logits"]
    for length in (5, 17):
        logits = model(_batch(length), training=False)
        assert logits.shape == (3, 3) and logits.dtype == tf.float32
    assert sorted(i.name for i in model.inputs) == ["attention_mask", "input_ids", "token_type_ids"]


def test_fit_lowers_the_loss(tiny_bert_dir):
    tf.random.set_seed(0)
    model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, dropout=0.0, learning_rate=3e-3)
    x, y = _toy_set()
    before = model.evaluate(x, y, batch_size=32, verbose=0)[0]
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    after = model.evaluate(x, y, batch_size=32, verbose=0)[0]
    assert after < before - 0.01, (before, after, history.history)


def test_schedule_is_used_when_total_steps_given(tiny_bert_dir):
    model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, learning_rate=1e-3,
                                           warmup_steps=2, total_steps=10)
    rate = model.optimizer.get_config()["learning_rate"]
    assert isinstance(tf.keras.optimizers.schedules.deserialize(rate), LinearWarmupDecay)
    assert rate["config"] == {"peak_learning_rate": 1e-3, "warmup_steps": 2, "total_steps": 10}
    # Step 0 of a 2-step warm-up trains at half the peak.
    assert float(model.optimizer.learning_rate) == pytest.approx(5e-4)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_trains_under_mixed_precision_with_float32_logits(tiny_bert_dir, policy):
    tf.random.set_seed(0)
    previous = tf.keras.mixed_precision.global_policy()
    tf.keras.mixed_precision.set_global_policy(policy)
    try:
        model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, learning_rate=1e-3)
        x, y = _toy_set(n=8)
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
        assert model(_batch(6), training=False).dtype == tf.float32
        if policy == "mixed_float16":
            assert isinstance(model.optimizer, tf.keras.mixed_precision.LossScaleOptimizer)
    finally:
        tf.keras.mixed_precision.set_global_policy(previous)


def test_trains_under_a_distribution_strategy(tiny_bert_dir):
    tf.random.set_seed(0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, learning_rate=1e-3)
    assert model.distribute_strategy is strategy
    x, y = _toy_set(n=8)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    history = model.fit(ds, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"checkpoint": ""}, "`checkpoint` must be a checkpoint directory.*Received: checkpoint=''"),
        ({"num_labels": 1}, "`num_labels` must be an int >= 2.*Received: num_labels=1"),
        ({"dropout": 1.0}, r"`dropout` must be a number in \[0, 1\). Received: dropout=1.0"),
        ({"learning_rate": 0}, "`learning_rate` must be a positive number. Received: learning_rate=0"),
        ({"jit_compile": "yes"}, "`jit_compile` must be a bool. Received: jit_compile='yes'"),
        ({"warmup_steps": 5}, "`warmup_steps` needs `total_steps`"),
        ({"warmup_steps": 5, "total_steps": 3}, "must not exceed `total_steps`"),
        ({"total_steps": -1}, "`total_steps` must be an int >= 0"),
        ({"steps_per_execution": 0}, "`steps_per_execution` must be an int >= 1"),
    ],
)
def test_bad_arguments_raise_before_loading(kwargs, match):
    args = {"checkpoint": "/nonexistent/checkpoint", "num_labels": 2}
    args.update(kwargs)
    with pytest.raises(ConfigError, match=match):
        build_bert_sequence_classifier(**args)
