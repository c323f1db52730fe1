"""What a training run is, read from its training examples: a first run, or an update of a model."""
import dataclasses
import json
import os
from typing import List, Optional

#: Written by KnowledgeBase beside the training examples: what the merge did and what it builds on.
UPDATE_FILE = "update.json"


@dataclasses.dataclass(frozen=True)
class UpdatePlan:
    """An update's training plan, from the `update.json` KnowledgeBase wrote beside the examples.

    Args:
        strategy: `update.strategy` of the run (`first` on a first run).
        previous_model: The blessed model's artifact URI ("" on a first run).
        old_labels: The previous model's label vocabulary (a prefix of the new one).
        summary: The merge's counts (`kerasknow.update.knowledge_merge.KnowledgeMerge.summary`).
    """

    strategy: str
    previous_model: str
    old_labels: List[str]
    summary: dict

    @property
    def is_update(self) -> bool:
        return bool(self.previous_model)

    @property
    def new_knowledge_labels(self) -> Optional[List[str]]:
        """The labels (NER: tags) the update's new knowledge has as given, before the old model
        labelled it; None for a plan written before KnowledgeBase recorded them."""
        seen = self.summary.get("labels_seen")
        return None if seen is None else list(seen)

    @property
    def old_model_labels(self) -> bool:
        """The old model's tags filled the new training examples' `O`s (NER, `update.old_model_labels`)."""
        return bool(self.summary.get("old_model_labels", False))

    @property
    def base_weights(self) -> str:
        """The previous model's `Format-Keras` folder (`kerasknow.update.warm_start`)."""
        from kerasknow.update.warm_start import KERAS_DIR

        return os.path.join(self.previous_model, KERAS_DIR)

    @classmethod
    def read(cls, examples_uri: str) -> Optional["UpdatePlan"]:
        """The plan of the training examples at `examples_uri`; None for examples KnowledgeBase did
        not write (e.g. a test's own files)."""
        from tfx.dsl.io import fileio

        from kerasknow.update.warm_start import saved_labels

        path = os.path.join(examples_uri, UPDATE_FILE)
        if not fileio.exists(path):
            return None
        with fileio.open(path, "r") as f:
            summary = json.loads(f.read())
        previous = summary.get("previous_model", "")
        plan = cls(summary.get("strategy", "first"), previous, [], summary)
        if previous:
            plan = dataclasses.replace(plan, old_labels=saved_labels(plan.base_weights))
        return plan
