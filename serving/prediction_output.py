"""`kerasknow predict`'s output: one JSON object per input, and the top k classes of a classifier."""
from typing import Any, Dict, List, Mapping, Sequence

import numpy as np

from kerasknow.serving.formatting import format_predictions


def _text(value: Any) -> str:
    return bytes(value).decode("utf-8", errors="replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _plain(value: Any) -> Any:
    """A numpy value as JSON: bytes as text, arrays as lists."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, np.bytes_)):
        return _text(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def top_classes(outputs: Mapping[str, np.ndarray], row: int, k: int) -> List[Dict[str, Any]]:
    """The `k` most probable classes of `row`: `[{"label": ..., "probability": ...}]`, best first.

    Names come from the `classes` output (`[batch, classes]`, kerasknow's classifiers export it),
    else the class index is the name.

    Example:

    >>> top_classes({"probabilities": np.array([[0.1, 0.7, 0.2]]),
    ...              "classes": np.array([[b"a", b"b", b"c"]], dtype=object)}, 0, 2)
    [{'label': 'b', 'probability': 0.7}, {'label': 'c', 'probability': 0.2}]
    """
    probabilities = np.asarray(outputs["probabilities"][row], dtype=np.float64).reshape(-1)
    names = outputs.get("classes")
    order = np.argsort(-probabilities, kind="stable")[:k]
    return [{"label": _text(names[row][i]) if names is not None else str(int(i)),
             "probability": round(float(probabilities[i]), 6)} for i in order]


def prediction_records(outputs: Mapping[str, np.ndarray], inputs: Sequence[str], top_k: int = 1) -> List[dict]:
    """One JSON-ready dict per input.

    Classification: `{"input", "label", "probability", "top_k": [...]}` (`top_k` with `top_k > 1`);
    NER: `{"input", "entities": [{"type", "start", "end", "text", "score"}]}`; other signatures:
    `{"input", "outputs": {name: value}}`.
    """
    arrays = {k: np.asarray(v) for k, v in outputs.items()}
    records = []
    for i, shown in enumerate(inputs):
        if "entity_types" in arrays:
            n = int(arrays["entity_counts"][i]) if "entity_counts" in arrays else len(arrays["entity_types"][i])
            entities = []
            for j in range(n):
                entity = {"type": _text(arrays["entity_types"][i][j])}
                for key, name in (("entity_starts", "start"), ("entity_ends", "end"), ("entity_texts", "text"),
                                  ("entity_scores", "score")):
                    if key in arrays:
                        entity[name] = _plain(arrays[key][i][j])
                entities.append(entity)
            records.append({"input": shown, "entities": entities})
        elif "probabilities" in arrays and arrays["probabilities"].ndim == 2:
            best = top_classes(arrays, i, max(1, top_k))
            served_label = "labels" in arrays and arrays["labels"].ndim == 1
            label = _text(arrays["labels"][i]) if served_label else best[0]["label"]
            record = {"input": shown, "label": label, "probability": best[0]["probability"]}
            if top_k > 1:
                record["top_k"] = best
            records.append(record)
        else:
            records.append({"input": shown,
                            "outputs": {name: _plain(a[i] if a.ndim else a) for name, a in arrays.items()}})
    return records


def format_with_top_k(outputs: Mapping[str, np.ndarray], inputs: Sequence[str], top_k: int) -> str:
    """`format_predictions`' lines; for a classifier with `top_k > 1`, each line goes on with the
    next most probable classes: `text -> business (p=0.93) | tech 0.04 | politics 0.02`."""
    lines = format_predictions(outputs, inputs)
    if top_k <= 1 or "probabilities" not in outputs or "entity_types" in outputs:
        return lines
    rows = lines.splitlines()
    return "\n".join(row + "".join(f" | {c['label']} {c['probability']:.2f}"
                                   for c in top_classes(outputs, i, top_k)[1:]) for i, row in enumerate(rows))
