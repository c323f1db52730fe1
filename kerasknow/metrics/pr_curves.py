"""One-vs-rest precision/recall curves per class, in the form TensorBoard's PR-curve plugin shows."""
from typing import Dict, List, Sequence

import numpy as np

#: Thresholds evenly spaced in [0, 1]; TensorBoard draws one point per threshold.
NUM_THRESHOLDS = 51
_MINIMUM_COUNT = 1e-7


def pr_curve_data(y_true: Sequence[str], probabilities, labels: List[str],
                  num_thresholds: int = NUM_THRESHOLDS) -> Dict[str, Dict[str, List[float]]]:
    """Per class: true/false positive/negative counts, precision and recall at each threshold.

    Counts bucket each score as TensorBoard's `pr_curve.summary.pb` does (threshold `i` is
    `i / (num_thresholds - 1)`; a score counts as positive at every threshold at or below its
    bucket), so `kerasknow.metrics.evaluation_board` can write them with `raw_data_pb`.

    Args:
        y_true: The true label per example.
        probabilities: `[examples, classes]` scores, columns in `labels` order.
        labels: The label vocabulary.
        num_thresholds: Points per curve.

    Returns:
        `{label: {"tp", "fp", "tn", "fn", "precision", "recall"}}`, each a list of
        `num_thresholds` floats.

    Raises:
        ValueError: When the shapes do not match.

    Example:

    >>> c = pr_curve_data(["a", "b"], [[0.9, 0.1], [0.2, 0.8]], ["a", "b"], num_thresholds=3)
    >>> c["a"]["tp"], c["a"]["fp"], c["a"]["precision"]
    ([1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 1.0, 0.0])
    """
    scores = np.asarray(probabilities, dtype=np.float64)
    if scores.ndim != 2 or scores.shape != (len(y_true), len(labels)):
        raise ValueError(f"probabilities must be [examples, classes] = [{len(y_true)}, {len(labels)}]. "
                         f"Received: shape {list(scores.shape)}")
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index.get(y, -1) for y in y_true])
    buckets = np.floor(np.clip(scores, 0.0, 1.0) * (num_thresholds - 1)).astype(np.int64)
    curves = {}
    for c, label in enumerate(labels):
        positive = truth == c
        tp_buckets = np.bincount(buckets[positive, c], minlength=num_thresholds)
        fp_buckets = np.bincount(buckets[~positive, c], minlength=num_thresholds)
        tp = np.cumsum(tp_buckets[::-1])[::-1].astype(float)
        fp = np.cumsum(fp_buckets[::-1])[::-1].astype(float)
        tn, fn = fp[0] - fp, tp[0] - tp
        curves[label] = {
            "tp": tp.tolist(), "fp": fp.tolist(), "tn": tn.tolist(), "fn": fn.tolist(),
            "precision": (tp / np.maximum(_MINIMUM_COUNT, tp + fp)).tolist(),
            "recall": (tp / np.maximum(_MINIMUM_COUNT, tp + fn)).tolist(),
        }
    return curves
