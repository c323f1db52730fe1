"""What an update kept of the old knowledge: forgetting per old class, absorption, backward transfer.

Definitions (docs/knowledge-update.md):
- **forgetting** of an old class, in points: its recall under the blessed model minus its recall
  under the candidate with the candidate's prediction restricted to the old label set (argmax
  over the old classes; for NER, new entity types read as `O`): what the model lost of the
  distinctions it knew;
- **absorption**: the share of old held-out examples (NER: old entities) the candidate assigns to
  new classes (types);
- **backward transfer**: the mean over old classes of restricted recall after minus recall before
  (= minus the mean forgetting, in points);
- **tolerance** of a class: `max_forgetting` plus what noise on its eval size explains, `Z` standard
  errors of the difference of two recalls measured on `n` examples:
  `100 * Z * sqrt((r_before (1 - r_before) + r_after (1 - r_after) + 1/n) / n)`; the `1/n` term keeps a
  class with perfect recall on few examples from getting no tolerance at all.
"""
import collections
import math
from typing import Any, Dict, List, Sequence

import numpy as np

#: Standard errors of noise a class's forgetting may show before it counts (about 95%).
Z = 2.0


def tolerance(recall_before: float, recall_after: float, n: int, max_forgetting: float) -> float:
    """The forgetting (points) a class of `n` eval examples may show: `max_forgetting` + noise.

    >>> round(tolerance(1.0, 1.0, 100, 1.0), 2), round(tolerance(0.9, 0.8, 40, 1.0), 2)
    (3.0, 17.58)
    """
    if n <= 0:
        return float("inf")
    variance = recall_before * (1 - recall_before) + recall_after * (1 - recall_after) + 1.0 / n
    return max_forgetting + 100.0 * Z * math.sqrt(variance / n)


def _summary(per_class: Dict[str, Dict[str, Any]], absorbed: int, total: int, max_forgetting: float) -> Dict[str, Any]:
    # The class nearest its tolerance (what the gate is closest to refusing on) need not be the one
    # that forgot most: a small class is allowed more.
    worst = max(per_class, key=lambda c: per_class[c]["forgetting"] - per_class[c]["tolerance"], default=None)
    most = max(per_class, key=lambda c: per_class[c]["forgetting"], default=None)
    forgetting = [m["forgetting"] for m in per_class.values()]
    return {
        "per_class": per_class,
        "max_forgetting": max(forgetting) if forgetting else 0.0,
        "max_forgetting_class": most,
        "worst_class": worst,
        "backward_transfer": -float(np.mean(forgetting)) if forgetting else 0.0,
        "absorption": absorbed / total if total else 0.0,
        "old_examples": total,
        "max_forgetting_allowed": max_forgetting,
    }


def classification_retention(blessed_probabilities, candidate_probabilities, y_true: Sequence[int],
                             old_labels: Sequence[str], max_forgetting: float = 1.0) -> Dict[str, Any]:
    """Forgetting, absorption and backward transfer of a classifier update on old eval examples.

    Args:
        blessed_probabilities: `[N, C_old]` from the blessed model.
        candidate_probabilities: `[N, C]` from the candidate (`C >= C_old`; old classes first).
        y_true: The true class id of each example (old classes, `< C_old`).
        old_labels: The old label vocabulary.
        max_forgetting: `blessing.max_forgetting`, in points.

    Returns:
        `{"per_class": {label: {"recall_before", "recall_after", "forgetting", "tolerance", "support"}},
        "max_forgetting", "worst_class", "backward_transfer", "absorption", "old_accuracy_before",
        "old_accuracy_after", "old_examples"}`; forgetting in points (0-100).

    Example:

    >>> blessed = [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]]
    >>> candidate = [[0.5, 0.1, 0.4], [0.1, 0.2, 0.7], [0.8, 0.1, 0.1]]
    >>> r = classification_retention(blessed, candidate, [0, 1, 0], ["a", "b"])
    >>> r["per_class"]["b"]["forgetting"], round(r["absorption"], 3)
    (0.0, 0.333)
    """
    blessed = np.asarray(blessed_probabilities, dtype=np.float64)
    candidate = np.asarray(candidate_probabilities, dtype=np.float64)
    y = np.asarray(y_true, dtype=np.int64)
    old = len(old_labels)
    before = blessed.argmax(-1)
    after_restricted = candidate[:, :old].argmax(-1)
    after = candidate.argmax(-1)
    per_class = {}
    for c, label in enumerate(old_labels):
        rows = y == c
        n = int(rows.sum())
        if not n:
            continue
        r_before = float((before[rows] == c).mean())
        r_after = float((after_restricted[rows] == c).mean())
        per_class[label] = {"recall_before": r_before, "recall_after": r_after,
                            "forgetting": round(100.0 * (r_before - r_after), 4),
                            "tolerance": round(tolerance(r_before, r_after, n, max_forgetting), 4), "support": n}
    result = _summary(per_class, int((after >= old).sum()), len(y), max_forgetting)
    result["old_accuracy_before"] = float((before == y).mean()) if len(y) else 0.0
    result["old_accuracy_after"] = float((after == y).mean()) if len(y) else 0.0
    return result


def ner_retention(y_true: Sequence[Sequence[str]], blessed_tags: Sequence[Sequence[str]],
                  candidate_tags: Sequence[Sequence[str]], old_types: Sequence[str],
                  max_forgetting: float = 1.0) -> Dict[str, Any]:
    """The same measures for a NER update, per old entity type, on entities (seqeval's spans).

    The candidate's tags of new types read as `O` for the restricted recall; absorption is the
    share of gold old entities whose exact span the candidate tags with a new type.

    Example:

    >>> gold = [["B-person", "O", "B-loc"]]
    >>> r = ner_retention(gold, [["B-person", "O", "B-loc"]], [["B-person", "O", "B-city"]], ["person", "loc"])
    >>> r["per_class"]["loc"]["forgetting"], r["absorption"]
    (100.0, 0.5)
    """
    from kerasknow.ner.bio import entity_spans

    old = set(old_types)
    restricted = [[t if t == "O" or t[2:] in old else "O" for t in tags] for tags in candidate_tags]

    def spans(sentences):
        out = collections.defaultdict(set)
        for i, tags in enumerate(sentences):
            for type_, start, end in entity_spans(list(tags)):
                out[type_].add((i, start, end))
        return out

    gold, before, after, raw = spans(y_true), spans(blessed_tags), spans(restricted), spans(candidate_tags)
    per_class = {}
    for type_ in sorted(old):
        n = len(gold.get(type_, ()))
        if not n:
            continue
        r_before = len(gold[type_] & before.get(type_, set())) / n
        r_after = len(gold[type_] & after.get(type_, set())) / n
        per_class[type_] = {"recall_before": r_before, "recall_after": r_after,
                            "forgetting": round(100.0 * (r_before - r_after), 4),
                            "tolerance": round(tolerance(r_before, r_after, n, max_forgetting), 4), "support": n}
    new_spans = {s for type_, found in raw.items() if type_ not in old for s in found}
    old_gold = [s for type_ in old for s in gold.get(type_, ())]
    absorbed = sum(1 for s in old_gold if s in new_spans)
    return _summary(per_class, absorbed, len(old_gold), max_forgetting)


def refusals(retention: Dict[str, Any]) -> List[str]:
    """Old classes whose forgetting exceeds their tolerance, worst first, as messages."""
    over = sorted(((m["forgetting"] - m["tolerance"], label, m) for label, m in retention["per_class"].items()
                   if m["forgetting"] > m["tolerance"]), reverse=True)
    return [f"forgetting of {label!r} {m['forgetting']:.1f} points > {m['tolerance']:.1f} allowed "
            f"(blessing.max_forgetting {retention['max_forgetting_allowed']:g} + noise on {m['support']} examples; "
            f"recall {m['recall_before']:.3f} before, {m['recall_after']:.3f} after)" for _, label, m in over]
