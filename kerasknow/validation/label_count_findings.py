"""Examples per label: the knowledge check every labelled task family runs."""
import collections
from typing import Iterable, List, Mapping

from kerasknow.config.settings import setting
from kerasknow.validation.finding import Finding


def label_count_findings(train_labels: Iterable[str], eval_labels: Iterable[str], min_examples_per_label: int,
                         noun: str = "examples") -> List[Finding]:
    """Counts per label, labels below the minimum (an error) and eval labels unseen in train.

    Args:
        train_labels: The label of every training example.
        eval_labels: The label of every eval example.
        min_examples_per_label: Fewest training examples a label may have.
        noun: What an example is called in the messages (`"examples"`, `"images"`).

    Returns:
        `examples_per_label` (info), then `too_few_examples_per_label` (error) and
        `eval_labels_unseen_in_train` (warning) where they apply.

    Example:

    >>> [f.check for f in label_count_findings(["a", "a", "b"], ["c"], 2)]
    ['examples_per_label', 'too_few_examples_per_label', 'eval_labels_unseen_in_train']
    """
    return counted_label_findings(collections.Counter(train_labels), collections.Counter(eval_labels),
                                  min_examples_per_label, noun)


def counted_label_findings(train_counts: Mapping[str, int], eval_counts: Mapping[str, int],
                           min_examples_per_label: int, noun: str = "examples") -> List[Finding]:
    """`label_count_findings` from counts per label (what a Beam count per label gives).

    Args:
        train_counts: Label -> training examples.
        eval_counts: Label -> eval examples.
        min_examples_per_label: Fewest training examples a label may have.
        noun: What an example is called in the messages.

    Returns:
        The findings of `label_count_findings`; details list labels in sorted order.

    Example:

    >>> [f.check for f in counted_label_findings({"a": 3}, {"a": 1}, 2)]
    ['examples_per_label']
    """
    train_counts = dict(sorted(train_counts.items()))
    eval_counts = dict(sorted(eval_counts.items()))
    findings = [Finding("examples_per_label", "info",
                        f"{len(train_counts)} labels in train: "
                        + ", ".join(f"{k}={v}" for k, v in sorted(train_counts.items())),
                        {"train": train_counts, "eval": eval_counts},
                        {f"examples_per_label/{label}": n for label, n in sorted(train_counts.items())})]
    few = {k: v for k, v in train_counts.items() if v < min_examples_per_label}
    if few:
        findings.append(Finding(
            "too_few_examples_per_label", "error",
            f"Labels with fewer than min_examples_per_label={min_examples_per_label} training "
            f"{noun}: {dict(sorted(few.items()))}. Add {noun} or lower {setting('validation.min_examples_per_label')}.",
            {"labels": few}))
    unseen = sorted(set(eval_counts) - set(train_counts))
    if unseen:
        findings.append(Finding("eval_labels_unseen_in_train", "warning",
                                f"Eval labels never seen in train: {unseen}.", {"labels": unseen}))
    return findings
