"""freeze_weights freezes single variables; weights_in_build_order ignores every kind of freezing."""
import tensorflow as tf

from kerasknow.models.weight_freezing import count_params, freeze_weights, weights_in_build_order


def _model():
    inputs = tf.keras.Input((3,))
    x = tf.keras.layers.Dense(4, name="a")(inputs)
    x = tf.keras.layers.LayerNormalization(name="norm")(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(2, name="b")(x))


def test_freezing_single_weights_and_layers_keeps_the_build_order():
    model = _model()
    order = [w.name for w in model.weights]
    freeze_weights(model.get_layer("a"), [model.get_layer("a").kernel])
    freeze_weights(model.get_layer("norm"), [model.get_layer("norm").gamma])
    model.get_layer("b").trainable = False
    assert [w.name for w in model.trainable_weights] == ["a/bias:0", "norm/beta:0"]
    assert [w.name for w in model.weights] != order
    assert [w.name for w in weights_in_build_order(model)] == order
    # Reading the order leaves the freezing as it was.
    assert [w.name for w in model.trainable_weights] == ["a/bias:0", "norm/beta:0"]
    assert not model.get_layer("b").trainable
    assert count_params(model.trainable_weights) == 4 + 4


def test_frozen_weights_do_not_train():
    model = _model()
    model.compile("sgd", "mse")
    kernel = model.get_layer("a").kernel
    freeze_weights(model.get_layer("a"), [kernel])
    before = kernel.numpy().copy()
    model.train_on_batch(tf.ones([2, 3]), tf.ones([2, 2]))
    assert (kernel.numpy() == before).all()
