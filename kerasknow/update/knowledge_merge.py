"""New knowledge merged into the old: the accumulated knowledge base and an update's training set."""
import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kerasknow.errors import DataError
from kerasknow.update.replay_sample import replay_sample

#: A decoded example and its serialised tf.Example.
Example = Tuple[Dict[str, List[Any]], bytes]
SPLITS = ("train", "eval")
#: The splits of an update's training examples: what the Trainer trains and validates on, and
#: the held-out old and new knowledge the evaluator measures forgetting and learning on.
TRAINING_SPLITS = ("train", "eval", "eval_old", "eval_new", "old_sample")


@dataclasses.dataclass
class KnowledgeMerge:
    """The outcome of merging new knowledge into the old.

    Args:
        labels: The label vocabulary: the old labels in their old order (their class ids stay),
            then the new ones, sorted.
        new_labels: Labels (tags) the old knowledge did not have.
        knowledge: The accumulated knowledge, per split: the old examples the update did not
            correct, then the new ones.
        training: The update's training examples per `TRAINING_SPLITS` split.
        summary: Counts for the report: `old`, `new`, `already_known`, `corrections`,
            `replayed`, `new_labels`, `labels_not_in_update`, `strategy`.
    """

    labels: List[str]
    new_labels: List[str]
    knowledge: Dict[str, List[bytes]]
    training: Dict[str, List[bytes]]
    summary: Dict[str, Any]


def merged_labels(old_labels: Sequence[str], new_labels: Sequence[str]) -> List[str]:
    """Old labels keep their positions (class ids); labels not seen before are appended, sorted.

    >>> merged_labels(["sport", "tech"], ["business", "tech"])
    ['sport', 'tech', 'business']
    """
    known = list(old_labels)
    return known + sorted(set(new_labels) - set(known))


def merge_knowledge(family, new: Dict[str, List[Example]], old: Optional[Dict[str, List[Example]]],
                    old_labels: Sequence[str], strategy: str, replay_size: int, corrections: str = "new",
                    seed: int = 42) -> KnowledgeMerge:
    """Merges `new` knowledge into `old` and builds the training set `strategy` learns from.

    A new example whose key the old knowledge has with the same labels is already known (kept
    once); with other labels it is a correction: the new labels win (`corrections="new"`) or the
    merge raises (`"error"`). Splits stay as ingest hashed them, so a text never moves between
    train and eval.

    Training `train` split per strategy: `naive`, `ewc`, `lwf`: the new knowledge's; `replay`,
    `replay+lwf`: that plus a class-balanced replay sample of `replay_size` old training
    examples; `retrain`: the whole knowledge base's. `eval` is the whole knowledge base's eval
    split, `eval_old` / `eval_new` its old and new parts, `old_sample` the replay sample (also
    what EWC measures its Fisher information on). Without old knowledge (a first run) the
    training set is the new knowledge as it is.

    Args:
        family: The `TaskFamily` (keys, labels, classes of decoded examples).
        new: The new knowledge per split.
        old: The accumulated old knowledge per split, or None on a first run.
        old_labels: The old label vocabulary (its order is the served class ids).
        strategy: `update.strategy`.
        replay_size: `update.replay_size`.
        corrections: `update.corrections`.
        seed: Seed of the replay sample.

    Returns:
        A `KnowledgeMerge`.

    Raises:
        DataError: For corrections when `corrections` is `"error"`.
    """
    old = old or {}
    new_labels_seen = {label for split in SPLITS for ex, _ in new.get(split, []) for label in family.example_labels(ex)}
    labels = merged_labels(old_labels, new_labels_seen)
    added = sorted(new_labels_seen - set(old_labels)) if old else []

    old_by_key: Dict[str, Tuple[str, Example]] = {}
    for split in SPLITS:
        for item in old.get(split, []):
            old_by_key[family.example_key(item[0])] = (split, item)
    known, corrected_keys, fresh = 0, set(), {split: [] for split in SPLITS}
    correction_examples = []
    for split in SPLITS:
        for item in new.get(split, []):
            key = family.example_key(item[0])
            previous = old_by_key.get(key)
            if previous is None:
                fresh[split].append(item)
            elif family.example_labels(previous[1][0]) == family.example_labels(item[0]):
                known += 1
            else:
                corrected_keys.add(key)
                fresh[split].append(item)
                correction_examples.append({"key": key[:100], "old": family.example_labels(previous[1][0])[:10],
                                            "new": family.example_labels(item[0])[:10]})
    if correction_examples and corrections == "error":
        first = correction_examples[0]
        raise DataError(
            f"{len(correction_examples)} new examples have the text of earlier knowledge with another label "
            f"(first: {first['key']!r}: {first['old']} before, {first['new']} now). Set update.corrections: new "
            "(YAML) to let the new labels win, or fix the new knowledge.")
    kept_old = {split: [item for item in old.get(split, []) if family.example_key(item[0]) not in corrected_keys]
                for split in SPLITS}
    knowledge = {split: [b for _, b in kept_old[split]] + [b for _, b in fresh[split]] for split in SPLITS}

    sample: List[Example] = []
    if old:
        sample = replay_sample(kept_old["train"], replay_size, lambda item: family.example_classes(item[0]),
                               lambda item: family.example_key(item[0]), seed)
    if not old:
        train = [b for _, b in fresh["train"]]
    elif strategy == "retrain":
        train = knowledge["train"]
    elif strategy in ("replay", "replay+lwf"):
        train = [b for _, b in fresh["train"]] + [b for _, b in sample]
    else:
        train = [b for _, b in fresh["train"]]
    training = {
        "train": train,
        "eval": knowledge["eval"],
        "eval_old": [b for _, b in kept_old["eval"]],
        "eval_new": [b for _, b in fresh["eval"]],
        "old_sample": [b for _, b in sample],
    }
    old_count = sum(len(v) for v in old.values())
    summary = {
        "strategy": strategy if old else "first",
        "old": old_count,
        "new": sum(len(v) for v in fresh.values()),
        "new_train": len(fresh["train"]),
        "already_known": known,
        "corrections": len(correction_examples),
        "correction_examples": correction_examples[:10],
        "replayed": len(sample) if strategy in ("replay", "replay+lwf") else 0,
        "new_labels": added,
        "new_label_examples": sum(1 for split in SPLITS for ex, _ in fresh[split]
                                  if set(family.example_labels(ex)) & set(added)),
        "labels_not_in_update": sorted(set(old_labels) - new_labels_seen) if old else [],
        "knowledge_size": sum(len(v) for v in knowledge.values()),
    }
    return KnowledgeMerge(labels=labels, new_labels=added, knowledge=knowledge, training=training, summary=summary)
