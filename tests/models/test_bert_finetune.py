"""apply_bert_finetune on the tiny BERT: what each strategy trains, and that one step changes only that."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.weight_freezing import weights_in_build_order
from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

SETTINGS = {"top_k": 1, "lora_rank": 2, "lora_alpha": 4.0, "lora_dropout": 0.0, "lora_targets": ["query", "value"],
            "adapter_size": 4}


def _batch():
    ids = np.random.default_rng(0).integers(2000, 3000, size=(4, 8)).astype("int32")
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}, \
        np.array([0, 1, 0, 1], "int32")


def _build(tiny_bert_dir, strategy, **settings):
    tf.keras.utils.set_random_seed(0)
    return build_bert_sequence_classifier(tiny_bert_dir, 2, learning_rate=1e-3, seed=0,
                                          finetune={"strategy": strategy, **{**SETTINGS, **settings}})


def _short(variable) -> str:
    # Without the model instance's prefix (tf_bert_for_sequence_classification_3/...).
    return variable.name.split("/", 1)[1]


def _trains(name: str, strategy: str) -> bool:
    if name.startswith("classifier/"):
        return True
    return {
        "full": True,
        "head": False,
        "top_k": "layer_._1/" in name or "/pooler/" in name,
        "bitfit": name.endswith(("bias:0", "beta:0")),
        "lora": "/lora_a:0" in name or "/lora_b:0" in name,
        "adapter": "_adapter/" in name,
    }[strategy]


@pytest.mark.parametrize("strategy", ["full", "head", "top_k", "bitfit", "lora", "adapter"])
def test_one_step_changes_exactly_the_weights_the_strategy_trains(tiny_bert_dir, strategy):
    model = _build(tiny_bert_dir, strategy)
    trainable = {v.ref() for v in model.trainable_weights}
    expected = {v.ref() for v in model.weights if _trains(_short(v), strategy)}
    assert trainable == expected, sorted(_short(v) for v in model.trainable_weights)
    before = {v.ref(): v.numpy().copy() for v in model.weights}
    x, y = _batch()
    model.train_on_batch(x, y)
    changed = {v.ref() for v in model.weights if not np.array_equal(before[v.ref()], v.numpy())}
    assert changed == trainable
    if strategy == "lora":
        # 2 layers x (query, value) x (A, B), and the classifier's kernel and bias.
        assert len(trainable) == 2 * 2 * 2 + 2
        assert all("/attention/self/lora_" in _short(v) for v in model.trainable_weights if "lora" in v.name)
    if strategy == "adapter":
        # 2 layers x (after attention, after feed-forward) x (down, up) x (kernel, bias), and the classifier.
        assert len(trainable) == 2 * 2 * 2 * 2 + 2


def test_lora_and_adapters_start_at_the_base_model_and_keep_the_build_order(tiny_bert_dir):
    x, _ = _batch()
    full = _build(tiny_bert_dir, "full")
    base_logits = full(x, training=False).numpy()
    base_order = [_short(v) for v in weights_in_build_order(full)]
    lora = _build(tiny_bert_dir, "lora")
    np.testing.assert_array_equal(lora(x, training=False).numpy(), base_logits)  # B starts at zeros
    order = [_short(v) for v in weights_in_build_order(lora)]
    assert [name for name in order if "lora_" not in name] == base_order
    adapter = _build(tiny_bert_dir, "adapter")
    np.testing.assert_allclose(adapter(x, training=False).numpy(), base_logits, atol=1e-2)  # near the identity
    top_k = _build(tiny_bert_dir, "top_k")
    assert [_short(v) for v in weights_in_build_order(top_k)] == base_order


def test_top_k_beyond_the_checkpoints_layers(tiny_bert_dir):
    with pytest.raises(ConfigError, match=r"--top-k / finetune.top_k must be between 1 and the checkpoint's 2 "
                                          r"layers for --finetune top_k. Received: top_k=3"):
        _build(tiny_bert_dir, "top_k", top_k=3)


def test_unknown_strategy(tiny_bert_dir):
    with pytest.raises(ConfigError, match=r"--finetune / finetune.strategy must be one of full, head, top_k, "
                                          r"bitfit, lora, adapter for a BERT model. Received: strategy='prefix'"):
        _build(tiny_bert_dir, "prefix")


def test_token_classifier_takes_the_strategy_and_the_schedule(tiny_bert_dir):
    from kerasknow.models.linear_warmup_decay import LinearWarmupDecay
    from kerasknow.ner.token_classifier import build_token_classifier

    model = build_token_classifier(tiny_bert_dir, 3, warmup_steps=2, total_steps=20,
                                   finetune={"strategy": "lora", **SETTINGS})
    rate = model.optimizer.get_config()["learning_rate"]
    assert isinstance(tf.keras.optimizers.schedules.deserialize(rate), LinearWarmupDecay)
    assert rate["config"] == {"peak_learning_rate": 5e-5, "warmup_steps": 2, "total_steps": 20}
    assert {_short(v).split("/")[-1] for v in model.trainable_weights} == {"lora_a:0", "lora_b:0", "kernel:0",
                                                                           "bias:0"}
    assert all(_short(v).startswith("classifier/") for v in model.trainable_weights if "lora" not in v.name)
    with pytest.raises(ConfigError, match=r"warmup_steps must not exceed total_steps .* Received: warmup_steps=5, "
                                          r"total_steps=2"):
        build_token_classifier(tiny_bert_dir, 3, warmup_steps=5, total_steps=2)
