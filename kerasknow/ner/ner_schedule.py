"""NER's training epochs follow the knowledge base's size.

A fixed 3 epochs suits WNUT-2016's 1,900 training sentences (360 steps: entity F1 0.38) but leaves
a small knowledge base an all-`O` tagger: 150 sentences give 30 steps, too few to leave the
all-`O` start (entity F1 0.00). The rule below gives every knowledge base at least `TARGET_STEPS`
optimizer steps; the learning rate need not change with the size (docs/ner.md, "Defaults that
follow the data", has the measurements: 1e-4 learnt as well as 3e-4 once the steps were there).
"""
from kerasknow.training.epochs_for_steps import epochs_for_steps

TARGET_STEPS = 400
MIN_EPOCHS, MAX_EPOCHS = 3, 30


def ner_default_epochs(train_sentences: int, batch_size: int) -> int:
    """Epochs for at least `TARGET_STEPS` steps, within [`MIN_EPOCHS`, `MAX_EPOCHS`].

    >>> ner_default_epochs(1915, 16), ner_default_epochs(640, 16), ner_default_epochs(152, 16)
    (4, 10, 30)
    """
    return epochs_for_steps(train_sentences, batch_size, TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS)

