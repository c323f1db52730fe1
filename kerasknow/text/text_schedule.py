"""Text classification's training epochs follow the knowledge base's size.

Two epochs suit BBC News (1,780 training articles, 112 steps an epoch at batch 16) but give a
small knowledge base a handful of optimizer steps: 120 articles (97 train) trained 14 steps, and
LoRA, which learns per step slower than full fine-tuning, ended at 0.43 accuracy, refused by the
blessing gate (2026-12-03, `kerasknow run --finetune lora`, docs/finetuning.md "Small knowledge
bases"). On 800 articles, 120 steps (3 epochs of 40) brought LoRA within a point of `full`
(0.970 against 0.963); 60 steps left it 2.5 points under. The rule gives every knowledge base at
least `TARGET_STEPS` steps, as NER's does (`kerasknow.ner.ner_schedule`).
"""
from kerasknow.training.epochs_for_steps import epochs_for_steps

TARGET_STEPS = 120
MIN_EPOCHS, MAX_EPOCHS = 2, 20


def text_default_epochs(train_examples: int, batch_size: int) -> int:
    """Epochs for at least `TARGET_STEPS` steps, within [`MIN_EPOCHS`, `MAX_EPOCHS`].

    >>> text_default_epochs(1780, 16), text_default_epochs(636, 16), text_default_epochs(97, 16)
    (2, 3, 18)
    """
    return epochs_for_steps(train_examples, batch_size, TARGET_STEPS, MIN_EPOCHS, MAX_EPOCHS)
