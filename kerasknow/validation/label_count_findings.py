"""Examples per label: the knowledge check every labelled task family runs."""
import collections
from typing import Iterable, List

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
    train_counts = collections.Counter(train_labels)
    eval_counts = collections.Counter(eval_labels)
    findings = [Finding("examples_per_label", "info",
                        f"{len(train_counts)} labels in train: "
                        + ", ".join(f"{k}={v}" for k, v in sorted(train_counts.items())),
                        {"train": dict(train_counts), "eval": dict(eval_counts)},
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
