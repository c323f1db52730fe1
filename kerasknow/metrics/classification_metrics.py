"""Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""
from typing import Any, Dict, List, Sequence

import numpy as np


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: List[str]) -> Dict[str, Any]:
    """Computes single-label classification metrics over label strings.

    Args:
        y_true: True labels.
        y_pred: Predicted labels (same length).
        labels: The label vocabulary; fixes the order of `per_class` and the confusion matrix.

    Returns:
        The dict `TaskFamily.evaluate` documents: `accuracy`, `f1` (macro over labels that occur in
        `y_true` or `y_pred`), `per_class`, `confusion_matrix` (rows true, columns predicted),
        `labels`, `scalars` and `num_examples`.

    Raises:
        ValueError: When lengths differ or there is nothing to score.

    Example:

    >>> m = classification_metrics(["a", "b"], ["a", "a"], ["a", "b"])
    >>> m["accuracy"], m["confusion_matrix"]
    (0.5, [[1, 0], [1, 0]])
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must have the same length. Received: {len(y_true)} and {len(y_pred)}")
    if not len(y_true):
        raise ValueError("Cannot compute metrics on zero examples. Received: y_true=[]")
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({y for y in list(y_true) + list(y_pred) if y not in index})
    if unknown:
        raise ValueError(f"Labels {unknown[:5]} are not in the label vocabulary {labels[:10]}.")
    n = len(labels)
    cm = np.zeros((n, n), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[index[t], index[p]] += 1
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    precision = np.divide(tp, predicted, out=np.zeros(n), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(n), where=(precision + recall) > 0)
    present = (support + predicted) > 0
    accuracy = float(tp.sum() / cm.sum())
    macro_f1 = float(f1[present].mean())
    per_class = {
        label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(support[i])}
        for i, label in enumerate(labels)
    }
    scalars = {"accuracy": accuracy, "macro_f1": macro_f1}
    for label, m in per_class.items():
        for k in ("precision", "recall", "f1"):
            scalars[f"{k}/{label}"] = m[k]
    return {
        "accuracy": accuracy,
        "f1": macro_f1,
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
        "labels": list(labels),
        "scalars": scalars,
        "num_examples": int(cm.sum()),
    }
