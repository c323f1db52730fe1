"""Scores an exported NER SavedModel on labelled sentences, through its `serving_examples`."""
from typing import Any, Collection, Dict, List, Optional, Sequence, Union

import numpy as np

from kerasknow.data.example_codec import encode_features
from kerasknow.metrics.signature_caller import SignatureCaller, as_caller
from kerasknow.ner.ner_checks import strings

EVAL_BATCH = 64


def evaluate_ner_model(model: Union[str, SignatureCaller], eval_examples: List[Dict[str, Any]], labels: List[str],
                       batch_size: int = EVAL_BATCH, outside_types: Collection[str] = (),
                       outside_rows: Optional[Sequence[bool]] = None) -> Dict[str, Any]:
    """Tags the eval sentences with the SavedModel's `serving_examples` and scores them.

    Args:
        model: The exported SavedModel's folder (`kerasknow.ner.ner_export`), or a
            `SignatureCaller` (a served model).
        eval_examples: Decoded examples with `tokens` and `tags`.
        labels: The tag vocabulary the model was trained with.
        batch_size: Sentences per signature call.
        outside_types: Entity types whose predicted tags read `O`: types the eval sentences do
            not annotate (an update's new knowledge leaves the old types `O`), so tagging them
            right is not scored as an error.
        outside_rows: Which sentences `outside_types` applies to, one flag per eval example
            (an update's whole evaluation: the new knowledge's only); None: all of them.

    Returns:
        `kerasknow.ner.ner_metrics.ner_metrics`'s dict (`accuracy` = token accuracy, `f1` =
        entity micro-F1, `per_class` per entity type, `scalars` with `f1/<type>` ...) plus `labels`.
    """
    from kerasknow.ner.ner_metrics import ner_metrics

    call = as_caller(model)
    tokens = [strings(ex.get("tokens", [])) for ex in eval_examples]
    y_true = [strings(ex.get("tags", [])) for ex in eval_examples]
    y_pred: List[List[str]] = []
    for start in range(0, len(tokens), batch_size):
        batch = [encode_features({"tokens": t}).SerializeToString() for t in tokens[start:start + batch_size]]
        out = call("serving_examples", {"examples": np.array(batch, dtype=object)})
        tags, counts = out["tags"], out["token_counts"]
        y_pred.extend([strings(row[:n]) for row, n in zip(tags, counts)])
    if outside_types:
        rows = [True] * len(y_pred) if outside_rows is None else list(outside_rows)
        if len(rows) != len(y_pred):
            raise ValueError(f"outside_rows must have one flag per eval example ({len(y_pred)}). "
                             f"Received: len(outside_rows)={len(rows)}")
        y_pred = [["O" if t != "O" and t[2:] in outside_types else t for t in row] if masked else row
                  for row, masked in zip(y_pred, rows)]
    result = ner_metrics(y_true, y_pred)
    result["labels"] = list(labels)
    return result
