"""The rules of merging new knowledge into the old: labels, the training set's parts, the summary.

KnowledgeBase runs the merge as one Beam pipeline (`components/knowledge_base/beam_merge.py`):

- Every example, old and new, is keyed by the family's `example_key`. A new example is *already
  known* when an old example with its key has its labels (kept once); with other labels it is a
  *correction* (`knowledge_comparison.changed_record`, the validator's rule): the new labels win
  (`update.corrections: new`) or the update stops (`error`), and every old example of that key
  leaves the knowledge base. Every other new example is *fresh*. Splits stay as ingest hashed
  them, so a text never moves between train and eval.
- The knowledge base, per split: the old examples kept, then the fresh ones.
- The update's training examples (`TRAINING_SPLITS`): `train` per strategy (`train_parts`),
  `eval` the whole knowledge base's eval split, `eval_old` / `eval_new` its old and new parts,
  `old_sample` the class-balanced replay sample of the kept old train split
  (`kerasknow.update.replay_sample`; also what EWC measures its Fisher information on).
"""
import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from kerasknow.errors import DataError

SPLITS = ("train", "eval")
#: The splits of an update's training examples: what the Trainer trains and validates on, and
#: the held-out old and new knowledge the evaluator measures forgetting and learning on.
TRAINING_SPLITS = ("train", "eval", "eval_old", "eval_new", "old_sample")
#: Strategies that train on the replay sample beside the new knowledge.
REPLAY_STRATEGIES = ("replay", "replay+lwf")
#: Corrections kept as evidence in the summary (the count is exact).
CORRECTION_EXAMPLES = 10


@dataclasses.dataclass
class KnowledgeMerge:
    """The outcome of merging new knowledge into the old (what KnowledgeBase wrote).

    Args:
        labels: The label vocabulary: the old labels in their old order (their class ids stay),
            then the new ones, sorted.
        new_labels: Labels (tags) the old knowledge did not have.
        knowledge_counts: Examples of the accumulated knowledge base per split.
        training_counts: The update's training examples per `TRAINING_SPLITS` split.
        summary: Counts for the report (`merge_summary`).
    """

    labels: List[str]
    new_labels: List[str]
    knowledge_counts: Dict[str, int]
    training_counts: Dict[str, int]
    summary: Dict[str, Any]


def merged_labels(old_labels: Sequence[str], new_labels: Sequence[str]) -> List[str]:
    """Old labels keep their positions (class ids); labels not seen before are appended, sorted.

    >>> merged_labels(["sport", "tech"], ["business", "tech"])
    ['sport', 'tech', 'business']
    """
    known = list(old_labels)
    return known + sorted(set(new_labels) - set(known))


def train_parts(strategy: str, first_run: bool) -> Tuple[str, ...]:
    """What the training `train` split holds: `fresh` (the new knowledge's), `kept` (the old
    knowledge base's, less its corrected examples), `sample` (the replay sample).

    `naive`, `ewc`, `lwf`: the new knowledge; `replay`, `replay+lwf`: that and the replay sample;
    `retrain`: the whole knowledge base. A first run trains on its knowledge as it is.

    >>> train_parts("replay", False), train_parts("retrain", False), train_parts("replay", True)
    (('fresh', 'sample'), ('kept', 'fresh'), ('fresh',))
    """
    if first_run:
        return ("fresh",)
    if strategy == "retrain":
        return ("kept", "fresh")
    if strategy in REPLAY_STRATEGIES:
        return ("fresh", "sample")
    return ("fresh",)


def merge_summary(strategy: str, first_run: bool, counts: Dict[str, int], corrections: List[Dict[str, Any]],
                  labels_seen: Set[str], old_labels: Sequence[str],
                  training_labels: Optional[Dict[str, int]] = None, old_model_labels: bool = False) -> Dict[str, Any]:
    """The merge's figures for the report and the run's summary line.

    Args:
        strategy: `update.strategy`.
        first_run: No old knowledge.
        counts: `old` (old examples read), `known`, `corrections`, `sample`, `new_label_examples`
            (fresh examples with a label the old knowledge lacks), `fresh_<split>` and
            `kept_<split>` per split of `SPLITS`.
        corrections: The first `CORRECTION_EXAMPLES` corrections (`changed_record`s).
        labels_seen: Every label of the new knowledge, as it was given (NER: before the old
            model's tags fill its `O`s).
        old_labels: The old label vocabulary.
        training_labels: Examples per label of the training set's `train` split (for NER, sentences
            per entity type); `{}` when not counted.
        old_model_labels: The old model's tags filled the new training examples' `O`s
            (`update.old_model_labels`; the evaluator scores the same background as `O`).

    Returns:
        `strategy` (`first` on a first run), `old`, `new`, `new_train`, `already_known`,
        `corrections`, `correction_examples`, `replayed`, `new_labels`, `new_label_examples`,
        `labels_not_in_update`, `labels_seen`, `old_model_labels`, `knowledge_size`, `training_labels`.
    """
    fresh = sum(counts[f"fresh_{split}"] for split in SPLITS)
    return {
        "strategy": "first" if first_run else strategy,
        "old": counts["old"],
        "new": fresh,
        "new_train": counts["fresh_train"],
        "already_known": counts["known"],
        "corrections": counts["corrections"],
        "correction_examples": list(corrections)[:CORRECTION_EXAMPLES],
        "replayed": counts["sample"] if strategy in REPLAY_STRATEGIES and not first_run else 0,
        "new_labels": [] if first_run else sorted(labels_seen - set(old_labels)),
        "new_label_examples": 0 if first_run else counts["new_label_examples"],
        "labels_not_in_update": [] if first_run else sorted(set(old_labels) - labels_seen),
        "labels_seen": sorted(labels_seen),
        "old_model_labels": bool(old_model_labels),
        "knowledge_size": fresh + sum(counts[f"kept_{split}"] for split in SPLITS),
        "training_labels": dict(sorted((training_labels or {}).items())),
    }


def check_corrections(summary: Dict[str, Any], corrections: str) -> None:
    """Stops an update whose new knowledge corrects old examples when `update.corrections` is `error`.

    Raises:
        DataError: With the count and the first correction (by key).
    """
    if summary["corrections"] and corrections == "error":
        first = summary["correction_examples"][0]
        raise DataError(
            f"{summary['corrections']} new examples have the text of earlier knowledge with another label "
            f"(first: {first['key']!r}: {first['old']} before, {first['new']} now). Set update.corrections: new "
            "(YAML) to let the new labels win, or fix the new knowledge. "
            f"Received: update.corrections={corrections!r}")
