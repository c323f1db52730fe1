"""What an update's new knowledge brings against the knowledge base it updates, and its findings."""
import dataclasses
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from kerasknow.validation.finding import Finding

#: Changed examples kept as evidence in the report (the count is exact).
CHANGED_EXAMPLES = 10
#: Characters of an example's key shown in the report.
KEY_CHARS = 100


@dataclasses.dataclass
class KnowledgeComparison:
    """The new knowledge of an update set against the old: what the validator reports of it.

    Built in memory (`of_examples`) or by the validator's Beam pipeline
    (`components/knowledge_validator/beam_checks.py`, one pass over both knowledge bases, keyed
    by the family's `example_key`); both give the same comparison, and `findings` turns it into
    the report's `new_labels`, `labels_not_in_update` and `changed_labels`.

    An example is *changed* when an old example has its key (the same normalised text, tokens or
    image bytes) and none of the old examples with that key has its labels; its `old` labels are
    the smallest of theirs.

    Args:
        labels_seen: Every label of the new knowledge, sorted.
        new_label_sets: `(labels of an example that the old knowledge lacks, sorted) -> examples`,
            for the examples with at least one such label.
        changed_count: How many new examples are changed.
        changed: The first `CHANGED_EXAMPLES` changed examples by `(key, old, new)`, each
            `{"key": first KEY_CHARS characters, "old": labels, "new": labels}` (10 labels at most).

    Example:

    >>> from kerasknow.tasks.text_classification import TextClassification
    >>> family = TextClassification()
    >>> old = [{"text": [b"Goal!"], "label": [b"sport"]}]
    >>> new = [{"text": [b"goal!"], "label": [b"art"]}, {"text": [b"A painting"], "label": [b"art"]}]
    >>> comparison = KnowledgeComparison.of_examples(family, new, old, ["sport"])
    >>> comparison.new_label_sets, comparison.changed_count, comparison.changed[0]["old"]
    ({('art',): 2}, 1, ['sport'])
    """

    labels_seen: List[str]
    new_label_sets: Dict[Tuple[str, ...], int]
    changed_count: int
    changed: List[Dict[str, Any]]

    @classmethod
    def of_examples(cls, family, new_examples: Iterable[Dict[str, Any]], old_examples: Iterable[Dict[str, Any]],
                    old_labels: Sequence[str]) -> "KnowledgeComparison":
        """The comparison of decoded examples, in memory (families without Beam checks).

        Args:
            family: The task family (`example_key`, `example_labels`).
            new_examples: The new knowledge's decoded tf.Examples.
            old_examples: The old knowledge base's.
            old_labels: The old knowledge base's label vocabulary.

        Returns:
            A `KnowledgeComparison`.
        """
        old_by_key: Dict[str, set] = {}
        for ex in old_examples:
            old_by_key.setdefault(family.example_key(ex), set()).add(tuple(family.example_labels(ex)))
        old_set = set(old_labels)
        sets: Dict[Tuple[str, ...], int] = {}
        changed = []
        seen = set()
        for ex in new_examples:
            labels = tuple(family.example_labels(ex))
            seen.update(labels)
            unknown = label_set_outside(labels, old_set)
            if unknown:
                sets[unknown] = sets.get(unknown, 0) + 1
            key = family.example_key(ex)
            record = changed_record(key, labels, old_by_key.get(key))
            if record is not None:
                changed.append(record)
        return cls(sorted(seen), sets, len(changed), sorted(changed, key=changed_order)[:CHANGED_EXAMPLES])

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready form (`from_dict` reads it back)."""
        return {"labels_seen": self.labels_seen, "new_label_sets": [[list(k), n] for k, n in sorted(
            self.new_label_sets.items())], "changed_count": self.changed_count, "changed": self.changed}

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "KnowledgeComparison":
        """The comparison `to_dict` wrote."""
        return cls(list(data["labels_seen"]), {tuple(k): int(n) for k, n in data["new_label_sets"]},
                   int(data["changed_count"]), list(data["changed"]))

    def findings(self, old_labels: Sequence[str], added_labels: Sequence[str], corrections: str) -> List[Finding]:
        """The report's update findings: new labels (info), old labels the update lacks (a warning:
        an update cannot remove a label) and changed examples (an error unless corrections win).

        Args:
            old_labels: The old knowledge base's labels.
            added_labels: The labels the schema admitted that the old knowledge lacks.
            corrections: `update.corrections`: `new` (the new labels win) or `error`.

        Returns:
            The findings, in that order (those that apply).
        """
        from kerasknow.config import setting

        findings: List[Finding] = []
        if added_labels:
            added = set(added_labels)
            count = sum(n for labels, n in self.new_label_sets.items() if added & set(labels))
            findings.append(Finding(
                "new_labels", "info",
                f"New knowledge: {len(added_labels)} labels ({', '.join(added_labels[:10])}), {count} examples. The "
                "model's head grows; the old labels keep their class ids.",
                {"labels": list(added_labels), "examples": count}, {"update/new_labels": len(added_labels)}))
        missing = sorted(set(old_labels) - set(self.labels_seen))
        if missing:
            findings.append(Finding(
                "labels_not_in_update", "warning",
                f"{len(missing)} labels of the earlier knowledge are not in this update: {missing[:10]}. They are "
                "kept from the earlier knowledge (an update does not remove or rename a label; a renamed label "
                "arrives as a new one and the old stays).", {"labels": missing}))
        if self.changed_count:
            wins = corrections == "new"
            first = self.changed[0]
            findings.append(Finding(
                "changed_labels", "info" if wins else "error",
                f"{self.changed_count} examples of the new knowledge have the text of earlier knowledge with another "
                f"label (first: {first['key']!r}: {first['old']} before, {first['new']} now). "
                + ("The new labels win (corrections)." if wins else
                   f"Fix the new knowledge, or set {setting('update.corrections')}: new to let them win."),
                {"count": self.changed_count, "examples": self.changed},
                {"update/changed_labels": self.changed_count}))
        return findings


def label_set_outside(labels: Sequence[str], old_labels: set) -> Tuple[str, ...]:
    """The distinct `labels` not in `old_labels`, sorted (empty when there is none)."""
    return tuple(sorted(set(labels) - old_labels))


def changed_record(key: str, labels: Tuple[str, ...], old: Optional[Iterable[Tuple[str, ...]]]):
    """The report's record of a new example whose key the old knowledge has with other labels, else None."""
    if not old:
        return None
    old = set(old)
    if labels in old:
        return None
    return {"key": key[:KEY_CHARS], "old": list(min(old))[:10], "new": list(labels)[:10]}


def changed_order(record: Dict[str, Any]):
    """The order changed examples are shown in: by key, then labels."""
    return record["key"], record["old"], record["new"]
