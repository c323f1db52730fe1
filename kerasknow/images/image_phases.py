"""The image family's two transfer-learning phases: the head, then the backbone's top blocks."""
import math
from typing import List, Tuple

from kerasknow.training.training_phase import TrainingPhase

#: Optimizer steps the default epochs aim at, and the epochs' bounds (docs/images.md, "Defaults").
TARGET_STEPS = 300
MIN_EPOCHS, MAX_EPOCHS = 4, 12
#: From scratch, the same data needs several times the updates; still bounded to stay minutes.
SCRATCH_TARGET_STEPS, SCRATCH_MAX_EPOCHS = 1500, 30


def default_image_epochs(train_examples: int, batch_size: int, pretrained: bool = True) -> int:
    """Epochs (both phases) when `training.epochs` is unset: enough steps for the head to converge.

    A small folder gets more epochs (its epochs are short), a large one at least `MIN_EPOCHS`
    (two with the frozen backbone, two fine-tuning).

    >>> default_image_epochs(1280, 32), default_image_epochs(16000, 32), default_image_epochs(1280, 32, False)
    (8, 4, 30)
    """
    steps = max(1, math.ceil(train_examples / batch_size))
    if not pretrained:
        return min(SCRATCH_MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(SCRATCH_TARGET_STEPS / steps)))
    return min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / steps)))


def from_scratch_warning(backbone: str, epochs: int, train_examples: int) -> str:
    """What a run that trains a random backbone says before it starts."""
    return (f"backbone_weights: none: {backbone} trains from scratch, the whole network, for {epochs} epochs on "
            f"{train_examples} images. A random network needs thousands of images per class and tens of "
            "epochs to learn; on a small knowledge base it will stay near chance (and the blessing refuses "
            "it). Pretrained weights (--backbone-weights auto, the default) learn from a few hundred images.")


def moving_average_warning(momentum: float, steps: int) -> str:
    """What a run says when `training.ema_momentum` averages over more steps than it trains;
    empty when the training is long enough (at least 3 / (1 - momentum) steps).

    >>> moving_average_warning(0.99, 1500)
    ''
    >>> moving_average_warning(0.99, 48)[:64]
    'training.ema_momentum 0.99 averages over about the last 100 step'
    """
    if not momentum or steps * (1.0 - momentum) >= 3.0:
        return ""
    span = round(1.0 / (1.0 - momentum))
    return (f"training.ema_momentum {momentum:g} averages over about the last {span} steps, but this run trains "
            f"{steps} steps: the averaged model will stay close to its starting weights. Lower --ema-momentum "
            f"(e.g. {max(0.0, 1.0 - 3.0 / max(steps, 1)):.2f}) or set it to 0.")


def phase_epochs(epochs: int, top_k: int, head_epochs: int = 0) -> Tuple[int, int]:
    """`(head, second phase)` epochs: half of `epochs` (rounded down) fine-tunes when blocks are
    opened, or all but `head_epochs` (at least one epoch stays with the head).

    >>> phase_epochs(3, 1), phase_epochs(3, 0), phase_epochs(1, 2), phase_epochs(6, 2, head_epochs=2)
    ((2, 1), (3, 0), (1, 0), (2, 4))
    """
    if top_k <= 0 or epochs < 2:
        return epochs, 0
    fine = epochs - min(head_epochs, epochs - 1) if head_epochs else epochs // 2
    return epochs - fine, fine


def image_phases(epochs: int, top_k: int, strategy: str = "top_k", head_epochs: int = 0) -> List[TrainingPhase]:
    """The phases of `finetune.strategy` for a pretrained backbone.

    Phase `head` trains the new head on the frozen backbone (as built); a second phase (half the
    epochs, or all but `head_epochs`, at a tenth of the learning rate, BatchNorm statistics
    frozen) then opens more:

    - `head`: no second phase;
    - `top_k` (the default): the top `top_k` backbone blocks (none when `top_k` is 0);
    - `full`: the whole backbone;
    - `bitfit`: the backbone's biases and BatchNorm offsets (`beta`), nothing else.

    Args:
        epochs: Epochs of both phases together (`training.epochs`).
        top_k: Backbone blocks the `top_k` phase opens (`finetune.top_k`); 0 for no second phase.
        strategy: `head`, `top_k`, `full` or `bitfit` (`finetune.strategy`, `auto` resolved).
        head_epochs: Epochs of phase `head` when a second phase follows (`finetune.head_epochs`);
            0 for half of `epochs`, rounded up. At most `epochs - 1` are taken.

    Returns:
        One or two `TrainingPhase`s.

    Example:

    >>> [(p.name, p.epochs) for p in image_phases(4, 1, "bitfit")]
    [('head', 2), ('bitfit', 2)]
    """
    opens = {"head": 0, "top_k": top_k, "full": 1, "bitfit": 1}[strategy]
    head, fine = phase_epochs(epochs, opens, head_epochs)
    phases = [TrainingPhase("head", head, description="new head on the frozen backbone")]
    if not fine:
        return phases
    if strategy == "top_k":
        phases.append(TrainingPhase("top_k", fine, prepare=lambda model: open_top_blocks(model, top_k),
                                    description=f"top {top_k} backbone blocks and the head, learning rate / 10"))
    elif strategy == "full":
        phases.append(TrainingPhase("full", fine, prepare=lambda model: open_backbone(model, biases_only=False),
                                    description="the whole backbone (BatchNorm frozen) and the head, learning "
                                    "rate / 10"))
    else:
        phases.append(TrainingPhase("bitfit", fine, prepare=lambda model: open_backbone(model, biases_only=True),
                                    description="the backbone's biases and BatchNorm offsets and the head, "
                                    "learning rate / 10"))
    return phases


def _recompile_slower(model) -> float:
    import tensorflow as tf

    from kerasknow.images.image_classifier import compile_classifier

    optimizer = model.optimizer
    learning_rate = float(tf.keras.backend.get_value(optimizer.learning_rate)) / 10.0
    # The second phase averages its weights as the first did (a new optimizer, a new average).
    momentum = optimizer.ema_momentum if getattr(optimizer, "use_ema", False) else 0.0
    with model.distribute_strategy.scope():
        compile_classifier(model, learning_rate, jit_compile=bool(model.jit_compile), ema_momentum=momentum)
    return learning_rate


def open_top_blocks(model, top_k: int) -> List[str]:
    """Makes the top `top_k` backbone blocks trainable and recompiles at a tenth of the rate.

    Returns:
        The names of the layers that became trainable.
    """
    import tensorflow as tf

    from kerasknow.images.image_classifier import unfreeze_top_blocks

    opened = unfreeze_top_blocks(model, top_k)
    learning_rate = _recompile_slower(model)
    tf.get_logger().info("Fine-tuning %d backbone layers at learning rate %g", len(opened), learning_rate)
    return opened


def open_backbone(model, biases_only: bool) -> List[str]:
    """Opens the whole backbone (BatchNorm frozen), or only its biases and BatchNorm `beta`s
    (BitFit), and recompiles at a tenth of the rate.

    The backbone runs with `training=False`, so BatchNorm keeps its moving statistics either way.

    Returns:
        The names of the layers with weights that train now.
    """
    import tensorflow as tf

    from kerasknow.images.image_classifier import backbone_of
    from kerasknow.models.weight_freezing import freeze_weights

    base = backbone_of(model)
    base.trainable = True
    opened = []
    for layer in base.layers:
        is_norm = isinstance(layer, tf.keras.layers.BatchNormalization)
        if biases_only:
            # A bias is what a layer adds: a convolution's `bias`, BatchNorm's `beta`.
            kept = [v for v in layer._trainable_weights if v.name.split("/")[-1].startswith(("bias", "beta"))]
            layer.trainable = bool(kept)
            freeze_weights(layer, [v for v in layer._trainable_weights if all(v is not k for k in kept)])
        else:
            layer.trainable = not is_norm
        if layer.trainable and layer.trainable_weights:
            opened.append(layer.name)
    learning_rate = _recompile_slower(model)
    tf.get_logger().info("Fine-tuning %d backbone layers (%s) at learning rate %g", len(opened),
                         "biases" if biases_only else "all", learning_rate)
    return opened
