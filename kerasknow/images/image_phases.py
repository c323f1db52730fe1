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


def phase_epochs(epochs: int, top_k: int) -> Tuple[int, int]:
    """`(head, top_k)` epochs: half of `epochs` (rounded down) fine-tunes when blocks are opened.

    >>> phase_epochs(3, 1), phase_epochs(3, 0), phase_epochs(1, 2)
    ((2, 1), (3, 0), (1, 0))
    """
    fine = epochs // 2 if top_k > 0 else 0
    return epochs - fine, fine


def image_phases(epochs: int, top_k: int) -> List[TrainingPhase]:
    """Phase `head` trains the new head on the frozen backbone (as built); phase `top_k` opens the
    top `top_k` backbone blocks (BatchNorm stays frozen) at a tenth of the learning rate.

    Args:
        epochs: Epochs of both phases together (`training.epochs`).
        top_k: Backbone blocks the second phase opens (`finetune.top_k`); 0 for no second phase.

    Returns:
        One or two `TrainingPhase`s.
    """
    head, fine = phase_epochs(epochs, top_k)
    phases = [TrainingPhase("head", head, description="new head on the frozen backbone")]
    if fine:
        phases.append(TrainingPhase("top_k", fine, prepare=lambda model: open_top_blocks(model, top_k),
                                    description=f"top {top_k} backbone blocks and the head, learning rate / 10"))
    return phases


def open_top_blocks(model, top_k: int) -> List[str]:
    """Makes the top `top_k` backbone blocks trainable and recompiles at a tenth of the rate.

    Returns:
        The names of the layers that became trainable.
    """
    import tensorflow as tf

    from kerasknow.images.image_classifier import compile_classifier, unfreeze_top_blocks

    learning_rate = float(tf.keras.backend.get_value(model.optimizer.learning_rate)) / 10.0
    opened = unfreeze_top_blocks(model, top_k)
    with model.distribute_strategy.scope():
        compile_classifier(model, learning_rate, jit_compile=bool(model.jit_compile))
    tf.get_logger().info("Fine-tuning %d backbone layers at learning rate %g", len(opened), learning_rate)
    return opened
