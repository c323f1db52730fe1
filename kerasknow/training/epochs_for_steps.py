"""Default epochs that give a knowledge base of any size enough optimizer steps."""
import math


def epochs_for_steps(train_examples: int, batch_size: int, target_steps: int, min_epochs: int,
                     max_epochs: int) -> int:
    """Epochs for at least `target_steps` optimizer steps, within [`min_epochs`, `max_epochs`].

    The BERT families' rule (`kerasknow.text.text_schedule`, `kerasknow.ner.ner_schedule`): a
    large knowledge base keeps `min_epochs`, a small one trains more passes over its few batches.

    >>> epochs_for_steps(1780, 16, 120, 2, 20), epochs_for_steps(97, 16, 120, 2, 20)
    (2, 18)
    """
    steps = max(1, math.ceil(train_examples / batch_size))
    return min(max_epochs, max(min_epochs, math.ceil(target_steps / steps)))
