"""Scores an exported classifier through its raw-input `serving_default` signature."""
from typing import Any, Dict, List, Sequence


def evaluate_served_classifier(saved_model_dir: str, input_name: str, inputs: Sequence[bytes],
                               y_true: Sequence[str], labels: List[str], batch_size: int = 64) -> Dict[str, Any]:
    """Runs `serving_default` (as TF Serving would) over `inputs` and scores its `labels` output.

    Args:
        saved_model_dir: The exported SavedModel.
        input_name: The signature's input (`"texts"` or `"images"`).
        inputs: Raw inputs (UTF-8 text or encoded image bytes), one per example.
        y_true: The true label per example.
        labels: The label vocabulary, in the model's order.
        batch_size: Examples per signature call.

    Returns:
        `kerasknow.metrics.classification_metrics.classification_metrics`'s dict.
    """
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops text SavedModels use)

    from kerasknow.metrics.classification_metrics import classification_metrics

    serve = tf.saved_model.load(saved_model_dir).signatures["serving_default"]
    y_pred: List[str] = []
    for start in range(0, len(inputs), batch_size):
        out = serve(**{input_name: tf.constant(list(inputs[start:start + batch_size]), tf.string)})
        y_pred.extend(v.decode("utf-8") for v in out["labels"].numpy())
    return classification_metrics(list(y_true), y_pred, labels)


def served_probabilities(saved_model_dir: str, input_name: str, inputs: Sequence[bytes], batch_size: int = 64):
    """`serving_default`'s `probabilities` for `inputs`, `[N, classes]` (numpy float32)."""
    import numpy as np
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops text SavedModels use)

    serve = tf.saved_model.load(saved_model_dir).signatures["serving_default"]
    rows = [serve(**{input_name: tf.constant(list(inputs[start:start + batch_size]), tf.string)})["probabilities"]
            .numpy() for start in range(0, len(inputs), batch_size)]
    return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)
