"""Freezing single weights of a layer, and a weight order that freezing does not change.

Keras freezes whole layers (`layer.trainable = False`). BitFit trains a Dense layer's bias but not
its kernel, so `freeze_weights` moves single variables into the layer's non-trainable list.

Keras lists a layer's weights trainable first (`weights = trainable_weights +
non_trainable_weights`), so freezing part of a nested layer (TF BERT's encoder, a LoRA wrapper)
reorders `model.weights`. `weights_in_build_order` is the order of the same model with nothing
frozen: what `kerasknow.update.warm_start` saves and assigns by, so weights saved after a
partly frozen training land on the right variables of a newly built model.
"""
import contextlib
import weakref
from typing import Iterable, List

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

# layer -> its weight lists before `freeze_weights` moved any variable (the build order).
_ORIGINAL_LISTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def freeze_weights(layer: tf.keras.layers.Layer, variables: Iterable[tf.Variable]) -> int:
    """Makes `variables` of `layer`'s own weights non-trainable; its other weights stay as they are.

    Args:
        layer: A built leaf layer (`Dense`, `LayerNormalization`, ...).
        variables: Some of `layer`'s own trainable variables.

    Returns:
        How many variables were frozen.

    Example:

    >>> dense = tf.keras.layers.Dense(2)
    >>> dense.build((None, 3))
    >>> freeze_weights(dense, [dense.kernel])
    1
    >>> [w.name for w in dense.trainable_weights]
    ['bias:0']
    """
    chosen = {v.ref() for v in variables}
    if layer not in _ORIGINAL_LISTS:
        _ORIGINAL_LISTS[layer] = (list(layer._trainable_weights), list(layer._non_trainable_weights))
    moved = [v for v in layer._trainable_weights if v.ref() in chosen]
    # Keras' own lists, changed in place: the optimizer, `trainable_weights` and counts read them,
    # and assigning new lists would make Keras track them as sublayers holding trainable variables.
    layer._trainable_weights[:] = [v for v in layer._trainable_weights if v.ref() not in chosen]
    layer._non_trainable_weights.extend(moved)
    return len(moved)


@contextlib.contextmanager
def _unfrozen(model: tf.keras.layers.Layer):
    layers = list(model._flatten_layers(include_self=True, recursive=True))
    flags = [layer._trainable for layer in layers]
    lists = {layer: (list(layer._trainable_weights), list(layer._non_trainable_weights)) for layer in layers
             if layer in _ORIGINAL_LISTS}
    try:
        for layer in layers:
            # `_trainable`, not `trainable`: the property's setter would recurse into sublayers.
            layer._trainable = True
        for layer in lists:
            original_trainable, original_non_trainable = _ORIGINAL_LISTS[layer]
            layer._trainable_weights[:] = original_trainable
            layer._non_trainable_weights[:] = original_non_trainable
        yield
    finally:
        for layer, flag in zip(layers, flags):
            layer._trainable = flag
        for layer, (trainable, non_trainable) in lists.items():
            layer._trainable_weights[:] = trainable
            layer._non_trainable_weights[:] = non_trainable


def weights_in_build_order(model: tf.keras.layers.Layer) -> List[tf.Variable]:
    """`model.weights` in the order of the same model with no layer or weight frozen.

    Args:
        model: A Keras layer or model.

    Returns:
        The variables, each once.

    Example:

    >>> inputs = tf.keras.Input((3,))
    >>> model = tf.keras.Model(inputs, tf.keras.layers.Dense(2, name="d")(inputs))
    >>> freeze_weights(model.get_layer("d"), [model.get_layer("d").kernel])
    1
    >>> [w.name for w in model.weights], [w.name for w in weights_in_build_order(model)]
    (['d/bias:0', 'd/kernel:0'], ['d/kernel:0', 'd/bias:0'])
    """
    with _unfrozen(model):
        return list(model.weights)


def count_params(variables: Iterable[tf.Variable]) -> int:
    """The number of scalars in `variables`.

    >>> count_params([tf.Variable(tf.zeros([3, 2])), tf.Variable(0.0)])
    7
    """
    return int(sum(int(tf.size(v)) for v in variables))
