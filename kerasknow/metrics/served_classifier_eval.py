"""Scores an exported classifier through its raw-input `serving_default` signature."""
from typing import Any, Dict, List, Sequence, Union

import numpy as np

from kerasknow.metrics.signature_caller import SignatureCaller, as_caller


def evaluate_served_classifier(model: Union[str, SignatureCaller], input_name: str, inputs: Sequence[bytes],
                               y_true: Sequence[str], labels: List[str], batch_size: int = 64) -> Dict[str, Any]:
    """Runs `serving_default` (as TF Serving would) over `inputs` and scores its outputs.

    Args:
        model: The exported SavedModel's folder, or a `SignatureCaller` (a served model).
        input_name: The signature's input (`"texts"` or `"images"`).
        inputs: Raw inputs (UTF-8 text or encoded image bytes), one per example.
        y_true: The true label per example.
        labels: The label vocabulary, in the model's order (its `probabilities` columns).
        batch_size: Examples per signature call.

    Returns:
        `kerasknow.metrics.classification_metrics.classification_metrics`'s dict, plus
        `pr_curves` (`kerasknow.metrics.pr_curves.pr_curve_data` of the `probabilities` output).
    """
    from kerasknow.metrics.classification_metrics import classification_metrics
    from kerasknow.metrics.pr_curves import pr_curve_data

    call = as_caller(model)
    y_pred: List[str] = []
    probabilities = []
    for start in range(0, len(inputs), batch_size):
        out = call("serving_default", {input_name: np.array(list(inputs[start:start + batch_size]), dtype=object)})
        y_pred.extend(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in out["labels"])
        if "probabilities" in out:
            probabilities.append(np.asarray(out["probabilities"], dtype=np.float64))
    metrics = classification_metrics(list(y_true), y_pred, labels)
    if probabilities:
        metrics["pr_curves"] = pr_curve_data(list(y_true), np.concatenate(probabilities), labels)
    return metrics


def served_probabilities(model: Union[str, SignatureCaller], input_name: str, inputs: Sequence[bytes],
                         batch_size: int = 64) -> np.ndarray:
    """`serving_default`'s `probabilities` for `inputs`, `[N, classes]` (float32).

    Args:
        model: The exported SavedModel's folder, or a `SignatureCaller` (a served model).
        input_name: The signature's input (`"texts"` or `"images"`).
        inputs: Raw inputs, one per example.
        batch_size: Examples per signature call.
    """
    call = as_caller(model)
    rows = [np.asarray(call("serving_default", {input_name: np.array(list(inputs[start:start + batch_size]),
                                                                       dtype=object)})["probabilities"],
                       dtype=np.float32)
            for start in range(0, len(inputs), batch_size)]
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
