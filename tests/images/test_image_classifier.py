"""The classifier model: layout, frozen backbone, fine-tuning switches, augmentation, mixed precision."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.images.backbone_preprocess import BackbonePreprocess
from kerasknow.images.image_augmentation import ImageAugmentation
from kerasknow.images.image_classifier import backbone_of, build_image_classifier, unfreeze_top_blocks

TINY = "MobileNetV2(alpha=0.35)"


def test_frozen_pretrained_backbone_and_head_only_training(tiny_backbone_weights):
    model = build_image_classifier(4, TINY, image_size=32, weights=tiny_backbone_weights, dropout=0.1)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 4)
    assert [w.name.split("/")[0] for w in model.trainable_weights] == ["logits", "logits"]
    assert not backbone_of(model).trainable
    assert model.get_layer("preprocess").backbone == TINY


def test_a_random_backbone_is_never_frozen_and_trains_its_batchnorm():
    model = build_image_classifier(3, TINY, image_size=32, weights="none")
    base = backbone_of(model)
    assert base.trainable and len(model.trainable_weights) > 2
    bn = base.get_layer("block_16_project_BN")
    before = bn.moving_mean.numpy().copy()
    model(np.random.RandomState(0).uniform(0, 255, (8, 32, 32, 3)).astype("float32"), training=True)
    assert not np.array_equal(bn.moving_mean.numpy(), before)  # batch statistics, as from scratch needs


def test_an_empty_weights_setting_is_an_error_not_random():
    with pytest.raises(ConfigError, match=r"model.backbone_weights is empty. .*'none' to train the whole network"):
        build_image_classifier(3, TINY, image_size=32, weights="")


def test_unfreeze_top_blocks_keeps_batchnorm_frozen(tiny_backbone_weights):
    model = build_image_classifier(3, TINY, image_size=32, weights=tiny_backbone_weights)
    opened = unfreeze_top_blocks(model, 2)
    assert opened == ["block_15_expand", "block_15_depthwise", "block_15_project", "block_16_expand",
                      "block_16_depthwise", "block_16_project", "Conv_1"]
    base = backbone_of(model)
    assert all(not layer.trainable for layer in base.layers if isinstance(layer, tf.keras.layers.BatchNormalization))
    assert not base.get_layer("block_14_project").trainable
    # The backbone is called with training=False: a training step leaves BN statistics alone.
    bn = base.get_layer("block_16_project_BN")
    before = bn.moving_mean.numpy().copy()
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.keras.losses.sparse_categorical_crossentropy(rng.randint(0, 3, 8), model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    tf.keras.optimizers.SGD(0.1).apply_gradients(zip(grads, model.trainable_weights))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)
    assert len(grads) == 7 + 2  # 7 opened kernels (no biases: BN follows) + logits kernel and bias


def test_augmentation_only_in_training():
    aug = ImageAugmentation(flip="horizontal", rotation=0.1, zoom=0.1, seed=3)
    x = tf.constant(np.random.RandomState(1).uniform(0, 255, (4, 16, 16, 3)).astype("float32"))
    np.testing.assert_array_equal(aug(x, training=False).numpy(), x.numpy())
    assert not np.allclose(aug(x, training=True).numpy(), x.numpy())
    restored = ImageAugmentation.from_config(aug.get_config())
    assert (restored.flip, restored.rotation, restored.zoom, restored.seed) == ("horizontal", 0.1, 0.1, 3)
    with pytest.raises(ConfigError, match=r"flip must be one of .*Received: flip='diagonal'"):
        ImageAugmentation(flip="diagonal")
    with pytest.raises(ConfigError, match=r"rotation must be a number in \[0, 1\)\. Received: rotation=2"):
        ImageAugmentation(rotation=2)


def test_backbone_preprocess_is_the_backbones_own():
    pixels = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(BackbonePreprocess("MobileNetV2")(pixels).numpy().ravel(), [-1, 0, 1])
    expected = tf.keras.applications.resnet.preprocess_input(pixels.copy())
    np.testing.assert_allclose(BackbonePreprocess("ResNet50")(pixels).numpy(), expected)
    layer = BackbonePreprocess.from_config(BackbonePreprocess("ResNet50", name="pre").get_config())
    assert layer.backbone == "ResNet50" and layer.name == "pre"


def test_mixed_precision_keeps_float32_probabilities():
    tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = build_image_classifier(3, TINY, image_size=32, weights="none")
        probabilities = model(np.zeros((2, 32, 32, 3), "float32"), training=False)
        assert model.get_layer("logits").compute_dtype == "bfloat16"
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    assert probabilities.dtype == tf.float32
    np.testing.assert_allclose(probabilities.numpy().sum(-1), [1.0, 1.0], rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(ConfigError, match=r"num_classes must be an int >= 2\. Received: num_classes=1"):
        build_image_classifier(1, TINY, image_size=32, weights="none")
    with pytest.raises(ConfigError, match=r"dropout must be in \[0, 1\)\. Received: dropout=1.5"):
        build_image_classifier(3, TINY, image_size=32, weights="none", dropout=1.5)
