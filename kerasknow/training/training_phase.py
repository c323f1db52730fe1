"""A phase of training: which weights train, for how many epochs."""
import dataclasses
from typing import Callable, Optional


@dataclasses.dataclass
class TrainingPhase:
    """One `fit()` of a training run that may have several (a frozen backbone, then its top).

    Args:
        name: Short name, e.g. `"head"`, `"top_k"`; also the suffix of the phase's backup folder.
        epochs: Epochs of this phase (> 0).
        prepare: Called with the model before the phase trains; it changes what is trainable and
            recompiles (a new optimizer state starts with each prepared phase). None for a phase
            that trains the model as built.
        description: What the phase trains, for the log.

    Example:

    >>> TrainingPhase("full", epochs=2).prepare is None
    True
    """

    name: str
    epochs: int
    prepare: Optional[Callable] = None
    description: str = ""
