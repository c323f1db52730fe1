import numpy as np
import tensorflow as tf

from kerasknow.update.ewc_penalty import add_ewc_penalty, fisher_diagonal


def _model():
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3, name="logits")])
    model.compile("sgd", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.RandomState(0)
    return tf.data.Dataset.from_tensor_slices((rng.rand(32, 4).astype("float32"), rng.randint(0, 2, 32))).batch(8)


def test_the_fisher_is_mean_one_and_zero_on_new_classes():
    model = _model()
    kernel, bias = model.trainable_variables
    fisher = fisher_diagonal(model, _data(), grown=[kernel.name, bias.name], old_classes=2)
    total = sum(float(tf.reduce_sum(f)) for f in fisher)
    assert np.isclose(total / sum(int(tf.size(f)) for f in fisher), 1.0)
    assert np.all(fisher[0].numpy()[:, 2] == 0) and fisher[1].numpy()[2] == 0  # the new class's column


def test_the_penalty_and_its_gradient_pull_toward_the_old_weights():
    model = _model()
    fisher = fisher_diagonal(model, _data())
    anchors = [v.numpy().copy() for v in model.trainable_variables]
    add_ewc_penalty(model, fisher, strength=4.0)
    assert float(tf.add_n(model.losses)) == 0.0  # at the old weights
    for v in model.trainable_variables:
        v.assign_add(0.1 * tf.ones_like(v))
    with tf.GradientTape() as tape:
        penalty = tf.add_n(model.losses)
    grads = tape.gradient(penalty, model.trainable_variables)
    expected = sum(float(np.sum(f.numpy() * 0.01)) for f in fisher) * 0.5 * 4.0
    assert np.isclose(float(penalty), expected, rtol=1e-5)
    for g, f, v, a in zip(grads, fisher, model.trainable_variables, anchors):
        # d/dw (lambda/2) F (w - w*)^2 = lambda F (w - w*)
        np.testing.assert_allclose(g.numpy(), 4.0 * f.numpy() * (v.numpy() - a), rtol=1e-5, atol=1e-7)
