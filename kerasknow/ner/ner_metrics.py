"""Entity-level precision, recall and F1 exactly as seqeval computes them, plus token accuracy.

A re-implementation of `seqeval.metrics` 1.2.2 in its default (conlleval-compatible) mode (seqeval
is only a test dependency, the reference the tests compare with), so the numbers equal what NER
papers and Hugging Face examples report: entities are chunked with `kerasknow.ner.bio.entity_spans` over
all sentences joined with an `O` between them; an entity is correct when its type, start and end
all match; precision/recall/F1 of zero-division cases are 0.
"""
import collections
from typing import Any, Dict, List, Sequence, Tuple

from kerasknow.ner.bio import entity_spans


def _entities(sentences: Sequence[Sequence[str]]) -> Dict[str, set]:
    # seqeval flattens the sentences with an "O" between them and chunks the whole sequence.
    flat: List[str] = []
    for tags in sentences:
        flat.extend(tags)
        flat.append("O")
    by_type: Dict[str, set] = collections.defaultdict(set)
    for type_, start, end in entity_spans(flat):
        by_type[type_].add((start, end))
    return by_type


def _prf(tp: int, predicted: int, true: int) -> Tuple[float, float, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _check(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true and y_pred must hold the same number of sentences. "
                         f"Received: {len(y_true)} and {len(y_pred)}")
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise ValueError(f"Sentence {i} has {len(t)} true tags but {len(p)} predicted tags. "
                             "Fix: predict exactly one tag per token.")


def entity_scores(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> Dict[str, Any]:
    """Per-type and averaged entity precision/recall/F1 (seqeval's `classification_report`).

    Args:
        y_true: True tags, one list per sentence.
        y_pred: Predicted tags, the same shape.

    Returns:
        `{"per_type": {type: {"precision", "recall", "f1", "support"}}, "micro": {...},
        "macro": {...}, "weighted": {...}}`; types sorted, `support` = true entities. The
        averages equal seqeval's `micro avg`, `macro avg` and `weighted avg` rows.

    Raises:
        ValueError: When the shapes differ.

    Example:

    >>> s = entity_scores([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
    >>> s["micro"]["f1"], s["per_type"]["PER"]["support"]
    (0.0, 1)
    """
    _check(y_true, y_pred)
    true, pred = _entities(y_true), _entities(y_pred)
    per_type = {}
    totals = [0, 0, 0]
    for type_ in sorted(set(true) | set(pred)):
        tp, n_pred, n_true = len(true[type_] & pred[type_]), len(pred[type_]), len(true[type_])
        p, r, f = _prf(tp, n_pred, n_true)
        per_type[type_] = {"precision": p, "recall": r, "f1": f, "support": n_true}
        totals = [totals[0] + tp, totals[1] + n_pred, totals[2] + n_true]
    p, r, f = _prf(*totals)
    support = totals[2]
    micro = {"precision": p, "recall": r, "f1": f, "support": support}
    rows = list(per_type.values())
    macro = {k: (sum(m[k] for m in rows) / len(rows) if rows else 0.0) for k in ("precision", "recall", "f1")}
    macro["support"] = support
    if support:
        weighted = {k: sum(m[k] * m["support"] for m in rows) / support for k in ("precision", "recall", "f1")}
    else:
        # seqeval: no true entities -> 0 unless nothing was predicted either (zero_division=0 -> 0).
        weighted = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    weighted["support"] = support
    return {"per_type": per_type, "micro": micro, "macro": macro, "weighted": weighted}


def token_accuracy(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> float:
    """Fraction of tokens whose predicted tag equals the true tag (seqeval's `accuracy_score`).

    Raises:
        ValueError: When the shapes differ or there are no tokens.
    """
    _check(y_true, y_pred)
    total = sum(len(t) for t in y_true)
    if not total:
        raise ValueError("Cannot compute token accuracy on zero tokens. Received: y_true with no tokens")
    correct = sum(a == b for t, p in zip(y_true, y_pred) for a, b in zip(t, p))
    return correct / total


def ner_metrics(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> Dict[str, Any]:
    """The dict `TaskFamily.evaluate` returns for NER.

    Args:
        y_true: True tags per sentence.
        y_pred: Predicted tags per sentence.

    Returns:
        `accuracy` (token accuracy), `f1` (entity micro-F1), `precision`, `recall`, `per_class`
        (entity type -> precision, recall, f1, support), `macro_f1`, `scalars` (`accuracy`,
        `precision`, `recall`, `f1`, `macro_f1`, and `precision/<type>`, `recall/<type>`,
        `f1/<type>`), `num_examples` (sentences), `num_tokens` and `num_entities` (true).

    Raises:
        ValueError: When the shapes differ or there are no tokens.

    Example:

    >>> m = ner_metrics([["B-PER", "O"]], [["B-PER", "O"]])
    >>> m["f1"], m["accuracy"], m["scalars"]["f1/PER"]
    (1.0, 1.0, 1.0)
    """
    accuracy = token_accuracy(y_true, y_pred)
    scores = entity_scores(y_true, y_pred)
    micro = scores["micro"]
    scalars = {"accuracy": accuracy, "precision": micro["precision"], "recall": micro["recall"],
               "f1": micro["f1"], "macro_f1": scores["macro"]["f1"]}
    for type_, m in scores["per_type"].items():
        for k in ("precision", "recall", "f1"):
            scalars[f"{k}/{type_}"] = m[k]
    return {
        "accuracy": accuracy,
        "f1": micro["f1"],
        "precision": micro["precision"],
        "recall": micro["recall"],
        "macro_f1": scores["macro"]["f1"],
        "per_class": scores["per_type"],
        "scalars": scalars,
        "num_examples": len(y_true),
        "num_tokens": sum(len(t) for t in y_true),
        "num_entities": micro["support"],
    }
