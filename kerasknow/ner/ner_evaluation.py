"""Scores an exported NER SavedModel on labelled sentences, through its `serving_examples`."""
from typing import Any, Dict, List

from kerasknow.data.example_codec import encode_features
from kerasknow.ner.ner_checks import strings

EVAL_BATCH = 64


def evaluate_ner_model(saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                       batch_size: int = EVAL_BATCH) -> Dict[str, Any]:
    """Tags the eval sentences with the SavedModel's `serving_examples` and scores them.

    Args:
        saved_model_dir: The exported SavedModel (`kerasknow.ner.ner_export`).
        eval_examples: Decoded examples with `tokens` and `tags`.
        labels: The tag vocabulary the model was trained with.
        batch_size: Sentences per signature call.

    Returns:
        `kerasknow.ner.ner_metrics.ner_metrics`'s dict (`accuracy` = token accuracy, `f1` =
        entity micro-F1, `per_class` per entity type, `scalars` with `f1/<type>` ...) plus `labels`.
    """
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops the SavedModel uses)

    from kerasknow.ner.ner_metrics import ner_metrics

    tagger = tf.saved_model.load(saved_model_dir).signatures["serving_examples"]
    tokens = [strings(ex.get("tokens", [])) for ex in eval_examples]
    y_true = [strings(ex.get("tags", [])) for ex in eval_examples]
    y_pred: List[List[str]] = []
    for start in range(0, len(tokens), batch_size):
        batch = [encode_features({"tokens": t}).SerializeToString() for t in tokens[start:start + batch_size]]
        out = tagger(examples=tf.constant(batch))
        tags, counts = out["tags"].numpy(), out["token_counts"].numpy()
        y_pred.extend([strings(row[:n]) for row, n in zip(tags, counts)])
    result = ner_metrics(y_true, y_pred)
    result["labels"] = list(labels)
    return result
