"""Readable lines for served models' outputs (used by `kerasknow predict`)."""
from typing import Any, List, Mapping, Optional, Sequence

import numpy as np

# The output names format_predictions recognises; a task family's serving signature that uses
# them prints readably with `kerasknow predict`.
CLASSIFICATION_OUTPUTS = ("labels", "probabilities", "class_ids")
NER_OUTPUTS = ("entity_types", "entity_starts", "entity_ends", "entity_texts", "entity_scores", "entity_counts")
_MAX_TEXT_CHARS = 80


def format_predictions(outputs: Mapping[str, Any], inputs: Sequence[str]) -> str:
    """Formats a Predict response as readable lines, one block per input.

    Three layouts, chosen by the output names:

    **NER** (when `entity_types` is present). Every entity output is `[batch, max_entities]`,
    padded per row; a row's entities are the first `entity_counts[i]` when `entity_counts`
    (`[batch]` int) is present, else the columns whose `entity_types` is not `""` (empty-string
    padding). Names and meanings:

    - `entity_types`: tf.string, the entity type without B-/I- prefix, e.g. `b"PER"`.
    - `entity_starts`, `entity_ends`: int, character (Unicode code point) offsets into the
      input text, end exclusive, so `text[start:end]` is the entity (the contract of
      `kerasknow.ner.ner_export`; clients in other languages must not slice UTF-8 bytes with
      them). Optional if `entity_texts` is given.
    - `entity_texts`: tf.string, the entity's surface text. Optional: when absent it is sliced
      from the input with the character offsets.
    - `entity_scores`: float, the entity's confidence in [0, 1]. Optional.
    - `entity_counts`: int `[batch]`, entities per row. Optional.

    Printed as `text` then one `  [PER] 'John' 0-4 (0.98)` line per entity, or
    `  (no entities)`.

    **Classification** (when `labels` or `probabilities` is present): `text -> label (p=0.93)`.
    `labels` is `[batch]` (the predicted label) or `[batch, num_classes]` (the label vocabulary per
    row, as TF Estimator's `classes` output); `probabilities` is `[batch, num_classes]` or
    `[batch]`; `class_ids` (`[batch]` int), when present, picks the probability shown, else the
    row's highest. Without `labels` the label is the class id.

    **Anything else**: `text` then `  name: value` per output.

    Texts longer than 80 characters are shortened with `...`; whitespace is collapsed.

    Args:
        outputs: Output name -> array (as `PredictionClient.predict` returns); string outputs
            may be `bytes` or `str`.
        inputs: One display string per row: the texts, or image file names.

    Returns:
        The lines joined with newlines (no trailing newline).

    Raises:
        ValueError: When the outputs' batch size differs from `len(inputs)`.

    Example:

    >>> print(format_predictions({"labels": np.array([b"sport"]),
    ...                           "probabilities": np.array([[0.1, 0.9]])}, ["Goal!"]))
    Goal! -> sport (p=0.90)
    """
    inputs = list(inputs)
    arrays = {k: np.asarray(v) for k, v in outputs.items()}
    for name, array in arrays.items():
        if array.ndim >= 1 and array.shape[0] != len(inputs):
            raise ValueError(
                f"Output {name!r} has {array.shape[0]} rows but {len(inputs)} inputs were given. "
                f"Received: shape {list(array.shape)}. Fix: pass the inputs the outputs were computed for."
            )
    if "entity_types" in arrays:
        return "\n".join(_format_ner_row(arrays, i, text) for i, text in enumerate(inputs))
    if "labels" in arrays or "probabilities" in arrays:
        return "\n".join(_format_classification_row(arrays, i, text) for i, text in enumerate(inputs))
    return "\n".join(_format_generic_row(arrays, i, text) for i, text in enumerate(inputs))


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _short(text: str) -> str:
    text = " ".join(_text(text).split())
    return text if len(text) <= _MAX_TEXT_CHARS else text[: _MAX_TEXT_CHARS - 3] + "..."


def _format_classification_row(arrays, i: int, text: str) -> str:
    labels = arrays.get("labels")
    probs = arrays.get("probabilities")
    class_ids = arrays.get("class_ids")
    row_probs: Optional[np.ndarray] = None if probs is None else np.asarray(probs[i], dtype=np.float64).reshape(-1)
    if class_ids is not None and np.ndim(class_ids[i]) == 0:
        chosen = int(class_ids[i])
    elif row_probs is not None and row_probs.size > 1:
        chosen = int(np.argmax(row_probs))
    else:
        chosen = None
    if labels is None:
        label = str(chosen) if chosen is not None else "?"
    elif np.ndim(labels[i]) == 0:
        label = _text(labels[i])
    else:
        # A label vocabulary per row: the predicted one is at the chosen class.
        label = _text(labels[i][chosen if chosen is not None else 0])
    line = f"{_short(text)} -> {label}"
    if row_probs is not None and row_probs.size:
        if row_probs.size == 1:
            p = row_probs[0]
        else:
            p = row_probs[chosen] if chosen is not None and 0 <= chosen < row_probs.size else row_probs.max()
        line += f" (p={p:.2f})"
    return line


def _entity_columns(arrays, i: int) -> List[int]:
    """The columns of row i that hold entities (the rest is padding)."""
    types = np.asarray(arrays["entity_types"][i]).reshape(-1)
    if "entity_counts" in arrays:
        return list(range(min(int(np.asarray(arrays["entity_counts"]).reshape(-1)[i]), types.size)))
    return [j for j in range(types.size) if _text(types[j]) != ""]


def _format_ner_row(arrays, i: int, text: str) -> str:
    lines: List[str] = [_short(text)]
    for j in _entity_columns(arrays, i):
        start = int(arrays["entity_starts"][i][j]) if "entity_starts" in arrays else None
        end = int(arrays["entity_ends"][i][j]) if "entity_ends" in arrays else None
        if "entity_texts" in arrays:
            surface = _text(arrays["entity_texts"][i][j])
        elif start is not None and end is not None:
            surface = _text(text)[start:end]
        else:
            surface = ""
        line = f"  [{_text(arrays['entity_types'][i][j])}] {surface!r}"
        if start is not None and end is not None:
            line += f" {start}-{end}"
        if "entity_scores" in arrays:
            line += f" ({float(arrays['entity_scores'][i][j]):.2f})"
        lines.append(line)
    if len(lines) == 1:
        lines.append("  (no entities)")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, np.bytes_, str, np.str_)):
        return repr(_text(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value.item() if isinstance(value, np.generic) else value)


def _value(value: Any, max_items: int = 10) -> str:
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return _scalar(value.item() if isinstance(value, np.ndarray) else value)
    items = [_value(v, max_items) for v in value[:max_items]]
    more = f", ... ({len(value)} items)" if len(value) > max_items else ""
    return "[" + ", ".join(items) + more + "]"


def _format_generic_row(arrays, i: int, text: str) -> str:
    lines = [_short(text)]
    for name in sorted(arrays):
        value = arrays[name][i] if arrays[name].ndim >= 1 else arrays[name]
        lines.append(f"  {name}: {_value(value)}")
    return "\n".join(lines)
