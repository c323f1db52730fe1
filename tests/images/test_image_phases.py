"""The image strategies' phases: head only, top_k (the default), the whole backbone, its biases (BitFit)."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.images.image_classifier import backbone_of, build_image_classifier
from kerasknow.images.image_phases import image_phases, open_backbone
from kerasknow.testing import TINY_BACKBONE


@pytest.mark.parametrize("strategy, top_k, expected", [
    ("top_k", 1, [("head", 2), ("top_k", 2)]),
    ("top_k", 0, [("head", 4)]),
    ("head", 3, [("head", 4)]),
    ("full", 1, [("head", 2), ("full", 2)]),
    ("bitfit", 1, [("head", 2), ("bitfit", 2)]),
])
def test_phases_per_strategy(strategy, top_k, expected):
    assert [(p.name, p.epochs) for p in image_phases(4, top_k, strategy)] == expected


@pytest.mark.parametrize("epochs, head_epochs, expected", [
    (6, 2, [("head", 2), ("top_k", 4)]),
    (6, 0, [("head", 3), ("top_k", 3)]),
    # Default epochs chosen at run time may be fewer than head_epochs: one epoch still fine-tunes.
    (3, 5, [("head", 2), ("top_k", 1)]),
    (1, 1, [("head", 1)]),
])
def test_head_epochs_sets_the_first_phase(epochs, head_epochs, expected):
    assert [(p.name, p.epochs) for p in image_phases(epochs, 2, "top_k", head_epochs)] == expected


def _train_step_changes(model):
    before = {v.ref(): v.numpy().copy() for v in model.weights}
    images = tf.random.stateless_uniform([4, 32, 32, 3], seed=[0, 1], maxval=255.0)
    model.train_on_batch(images, np.array([0, 1, 2, 0]))
    return {v.ref() for v in model.weights if not np.array_equal(before[v.ref()], v.numpy())}


def test_bitfit_opens_only_the_backbones_biases_and_batchnorm_offsets(tiny_backbone_weights):
    tf.keras.utils.set_random_seed(0)
    model = build_image_classifier(3, TINY_BACKBONE, image_size=32, weights=tiny_backbone_weights)
    opened = open_backbone(model, biases_only=True)
    assert opened
    backbone = {v.ref() for v in backbone_of(model).weights}
    trained = [v for v in model.trainable_weights if v.ref() in backbone]
    assert trained and all(v.name.split("/")[-1] in ("beta:0", "bias:0") for v in trained)
    assert {v.name.split("/")[0] for v in model.trainable_weights if v.ref() not in backbone} == {"logits"}
    changed = _train_step_changes(model)
    # BatchNorm statistics stay frozen (the backbone runs in inference mode); only trained weights move.
    assert changed == {v.ref() for v in model.trainable_weights}


def test_full_opens_the_whole_backbone_but_batchnorm(tiny_backbone_weights):
    tf.keras.utils.set_random_seed(0)
    model = build_image_classifier(3, TINY_BACKBONE, image_size=32, weights=tiny_backbone_weights)
    open_backbone(model, biases_only=False)
    norms = [layer for layer in backbone_of(model).layers if isinstance(layer, tf.keras.layers.BatchNormalization)]
    assert norms and not any(layer.trainable for layer in norms)
    convs = [layer for layer in backbone_of(model).layers if isinstance(layer, tf.keras.layers.Conv2D)]
    assert convs and all(layer.trainable for layer in convs)
    changed = _train_step_changes(model)
    # Only trained weights move (some units of the tiny random-image step get no gradient at all).
    assert changed <= {v.ref() for v in model.trainable_weights}
    assert changed & {layer.kernel.ref() for layer in convs}


def test_a_moving_average_of_the_weights_is_validated_kept_and_carried_into_the_second_phase(
        tiny_backbone_weights):
    """`training.ema_momentum`: both phases' optimizers average; each validation and the kept
    model see the average, not the last step's weights."""
    from kerasknow.tasks.image_classification import ImageClassification

    tf.keras.utils.set_random_seed(0)
    model = build_image_classifier(3, TINY_BACKBONE, image_size=32, weights=tiny_backbone_weights,
                                   ema_momentum=0.9)
    assert model.optimizer.use_ema and model.optimizer.ema_momentum == 0.9
    images = tf.random.stateless_uniform([16, 32, 32, 3], seed=[0, 1], maxval=255.0)
    data = tf.data.Dataset.from_tensor_slices((images, np.arange(16) % 3)).batch(4)
    seen = []

    class Seen(tf.keras.callbacks.Callback):
        def on_test_begin(self, logs=None):
            averaged = self.model.optimizer._model_variables_moving_average
            seen.append(all(np.array_equal(v.numpy(), a.numpy())
                            for v, a in zip(self.model.trainable_variables, averaged)))

    family = ImageClassification()
    family.phases = lambda model, ctx: image_phases(2, 1, "top_k")  # the head's epoch, then the top block's
    family.fit(model, data, data, [Seen()], ctx=None)
    # The second phase's optimizer (recompiled at a tenth of the rate) averages too.
    assert model.optimizer.use_ema and model.optimizer.ema_momentum == 0.9
    assert seen == [True, True]
    averaged = model.optimizer._model_variables_moving_average
    assert all(np.array_equal(v.numpy(), a.numpy()) for v, a in zip(model.trainable_variables, averaged))
