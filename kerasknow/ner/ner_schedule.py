"""NER's training epochs follow the knowledge base's size.

A fixed 3 epochs suits WNUT-2016's 1,900 training sentences (360 steps: entity F1 0.38) but leaves
a small knowledge base an all-`O` tagger: 150 sentences give 30 steps, too few to leave the
all-`O` start (entity F1 0.00). The rule below gives every knowledge base at least `TARGET_STEPS`
optimizer steps; the learning rate need not change with the size (docs/ner.md, "Defaults that
follow the data", has the measurements: 1e-4 learnt as well as 3e-4 once the steps were there).

Early stopping waits for the same steps: the validation loss, which `O` tokens dominate, says
little while the first entities appear. On 1,197 WNUT-2016 sentences of its most-mentioned types
(62 train steps an epoch, 7 epochs) epochs 4-6 scored loss 0.126, 0.116, 0.122 and token accuracy
0.974, 0.970, 0.973; patience 1 stopped the run after epoch 6 and kept epoch 5's weights, which
the blessing gate refused (token accuracy under the all-`O` tagger's plus the margin).
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



def ner_early_stopping_start(train_sentences: int, batch_size: int, epochs: int) -> int:
    """Epochs early stopping lets pass: those `TARGET_STEPS` steps need, at most the run's `epochs`.

    >>> ner_early_stopping_start(992, 16, 7), ner_early_stopping_start(1915, 16, 12), ner_early_stopping_start(1915, 16, 2)
    (7, 4, 2)
    """
    return min(epochs, epochs_for_steps(train_sentences, batch_size, TARGET_STEPS, 1, MAX_EPOCHS))
