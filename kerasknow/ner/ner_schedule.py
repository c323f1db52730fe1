"""NER's training defaults that follow the knowledge base's size.

A fixed 3 epochs at 1e-4 suits WNUT-2016's 1,900 training sentences (360 steps: entity F1 0.38)
but leaves a small knowledge base an all-`O` tagger: 150 sentences give 30 steps, too few to leave
the all-`O` start (entity F1 0.00). The rule below gives every knowledge base at least
`TARGET_STEPS` optimizer steps, and small ones the higher learning rate that learnt entities on
subsets (docs/ner.md, "Defaults that follow the data", has the measurements).
"""
import math
from typing import List

TARGET_STEPS = 400
MIN_EPOCHS, MAX_EPOCHS = 3, 30
#: Below this many training sentences the learning rates are the small-data ones.
SMALL_DATA_SENTENCES = 1000
SMALL_DATA_LEARNING_RATES = [3e-4, 1e-4]
LARGE_DATA_LEARNING_RATES = [1e-4, 5e-5]


def ner_default_epochs(train_sentences: int, batch_size: int) -> int:
    """Epochs for at least `TARGET_STEPS` steps, within [`MIN_EPOCHS`, `MAX_EPOCHS`].

    >>> ner_default_epochs(1915, 16), ner_default_epochs(640, 16), ner_default_epochs(152, 16)
    (4, 10, 30)
    """
    steps = max(1, math.ceil(train_sentences / batch_size))
    return min(MAX_EPOCHS, max(MIN_EPOCHS, math.ceil(TARGET_STEPS / steps)))


def ner_default_learning_rates(train_sentences: int) -> List[float]:
    """Keras Tuner's choices: higher rates for small knowledge bases.

    >>> ner_default_learning_rates(500), ner_default_learning_rates(1915)
    ([0.0003, 0.0001], [0.0001, 5e-05])
    """
    return list(SMALL_DATA_LEARNING_RATES if train_sentences < SMALL_DATA_SENTENCES else LARGE_DATA_LEARNING_RATES)
