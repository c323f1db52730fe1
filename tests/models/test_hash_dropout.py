"""HashDropout: Keras dropout semantics with a hashed mask; use_hash_dropout on BERT models."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.hash_dropout import HashDropout, use_hash_dropout


def _train(layer, x):
    return layer(x, training=True).numpy()


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_keeps_one_minus_rate_and_scales_the_kept(rate):
    tf.random.set_seed(0)
    x = tf.ones([256, 1024])
    y = _train(HashDropout(rate), x)
    kept = y != 0
    # 262,144 Bernoulli draws: the standard error of the kept fraction is < 0.001.
    assert abs(kept.mean() - (1 - rate)) < 0.005
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - rate), rtol=1e-6)


def test_bits_of_neighbours_and_of_rows_are_independent():
    tf.random.set_seed(0)
    kept = _train(HashDropout(0.5), tf.ones([512, 512])) != 0
    both_right = (kept[:, 1:] & kept[:, :-1]).mean()
    both_down = (kept[1:, :] & kept[:-1, :]).mean()
    assert abs(both_right - 0.25) < 0.005 and abs(both_down - 0.25) < 0.005
    # No column or row pattern: every column keeps about half.
    assert np.abs(kept.mean(axis=0) - 0.5).max() < 0.1


def test_each_call_draws_a_new_mask_eagerly_and_under_xla():
    tf.random.set_seed(0)
    layer = HashDropout(0.5)
    step = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    x = tf.ones([64, 64])
    for masks in ([_train(layer, x) != 0 for _ in range(2)], [step(x).numpy() != 0 for _ in range(2)]):
        same = (masks[0] == masks[1]).mean()
        # Independent masks agree on half the elements; a repeated mask on all of them.
        assert 0.45 < same < 0.55, same


def test_inference_and_rate_zero_pass_through():
    x = tf.random.stateless_normal([8, 16], seed=[1, 2])
    np.testing.assert_array_equal(HashDropout(0.5)(x, training=False).numpy(), x.numpy())
    np.testing.assert_array_equal(HashDropout(0.5)(x).numpy(), x.numpy())  # learning phase 0
    np.testing.assert_array_equal(HashDropout(0.0)(x, training=True).numpy(), x.numpy())


def test_training_given_as_a_tensor_inside_a_graph():
    layer = HashDropout(0.5)
    run = tf.function(lambda x, t: layer(x, training=t))
    x = tf.ones([32, 32])
    assert (run(x, tf.constant(False)).numpy() == 1).all()
    assert 0.3 < (run(x, tf.constant(True)).numpy() == 0).mean() < 0.7


def test_gradient_is_the_mask_times_the_scale():
    tf.random.set_seed(0)
    layer = HashDropout(0.25)
    x = tf.Variable(tf.ones([16, 16]))
    with tf.GradientTape() as tape:
        y = layer(x, training=True)
        loss = tf.reduce_sum(y)
    grad = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(grad, (y.numpy() != 0) / 0.75, rtol=1e-6)


def test_noise_shape_broadcasts_one_mask():
    tf.random.set_seed(0)
    y = _train(HashDropout(0.5, noise_shape=(None, 1, 32)), tf.ones([4, 6, 32]))
    # The same mask on every position of axis 1; different across axes 0 and 2.
    assert (y == y[:, :1, :]).all()
    assert 0.3 < (y == 0).mean() < 0.7


def test_keeps_the_dtype_of_a_mixed_precision_policy():
    layer = HashDropout(0.1, dtype=tf.keras.mixed_precision.Policy("mixed_bfloat16"))
    assert layer(tf.ones([4, 4]), training=True).dtype == tf.bfloat16


def test_config_round_trip_and_registration():
    layer = HashDropout(0.3, noise_shape=(None, 1), seed=7, name="drop")
    clone = HashDropout.from_config(layer.get_config())
    assert (clone.rate, clone.noise_shape, clone.seed, clone.name) == (0.3, (None, 1), 7, "drop")
    assert tf.keras.saving.get_registered_name(HashDropout) == "kerasknow>HashDropout"
    model = tf.keras.Sequential([tf.keras.Input((4,)), HashDropout(0.2)])
    restored = tf.keras.Sequential.from_config(model.get_config())
    assert isinstance(restored.layers[0], HashDropout) and restored.layers[0].rate == 0.2


@pytest.mark.parametrize("rate", [-0.1, 1.0, "0.1", True])
def test_bad_rate(rate):
    with pytest.raises(ConfigError, match=r"`rate` must be a number in \[0, 1\)"):
        HashDropout(rate)


def test_use_hash_dropout_replaces_every_bert_dropout_and_keeps_inference(tiny_bert_dir):
    import transformers

    tf.random.set_seed(0)
    bert = transformers.TFBertForSequenceClassification.from_pretrained(tiny_bert_dir, num_labels=2)
    stock = [l for l in bert.submodules if type(l) is tf.keras.layers.Dropout]
    ids = tf.constant([[101, 2000, 2001, 102]] * 2)
    before = bert(ids, training=False).logits.numpy()

    replaced = use_hash_dropout(bert)

    layers = bert.config.num_hidden_layers
    assert replaced == len(stock) == 3 * layers + 2  # per layer 3, the embeddings, the head
    assert not [l for l in bert.submodules if type(l) is tf.keras.layers.Dropout]
    hashed = [l for l in bert.submodules if isinstance(l, HashDropout)]
    assert sorted(l.name for l in hashed) == sorted(l.name for l in stock)
    np.testing.assert_array_equal(bert(ids, training=False).logits.numpy(), before)
    # Training really goes through the new layers: two calls draw different masks.
    a, b = (bert(ids, training=True).logits.numpy() for _ in range(2))
    assert not np.array_equal(a, b)


def test_builders_swap_only_when_asked(tiny_bert_dir):
    from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier
    from kerasknow.ner.token_classifier import build_token_classifier

    def kinds(model):
        return {type(l).__name__ for l in model.submodules if isinstance(l, (tf.keras.layers.Dropout, HashDropout))}

    assert kinds(build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, jit_compile=True)) == {"Dropout"}
    assert kinds(build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, hash_dropout=True)) == {"HashDropout"}
    tiny = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32}
    assert kinds(build_token_classifier("", 3, tiny_config=tiny)) == {"Dropout"}
    assert kinds(build_token_classifier("", 3, tiny_config=tiny, hash_dropout=True)) == {"HashDropout"}


def test_builders_reject_a_non_bool_switch(tiny_bert_dir):
    from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

    with pytest.raises(ConfigError, match="`hash_dropout` must be a bool"):
        build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, hash_dropout="yes")


def test_replicas_of_a_strategy_draw_different_masks():
    # A fresh process: logical CPU devices must be set before TensorFlow initialises.
    script = textwrap.dedent("""
        import kerasknow
        import tensorflow as tf
        from kerasknow.models.hash_dropout import HashDropout
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            layer = HashDropout(0.5, seed=3)
        step = tf.function(lambda: layer(tf.ones([64, 64]), training=True))
        a, b = (t.numpy() != 0 for t in strategy.experimental_local_results(strategy.run(step)))
        print("SAME", (a == b).mean())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    same = float(done.stdout.split("SAME")[-1])
    # Independent masks agree on about half the elements; equal seeds would agree on all.
    assert 0.45 < same < 0.55, same
