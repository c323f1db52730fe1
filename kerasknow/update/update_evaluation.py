"""An update's evaluation: what it kept of the old knowledge, what it learnt of the new, its cost."""
import json
import os
from typing import Any, Dict, List, Tuple

from kerasknow.config.settings import setting


def training_cost(model_uri: str) -> Dict[str, Any]:
    """The candidate's `Format-Keras/training.json` (epochs, examples processed, seconds), or {}."""
    from tfx.dsl.io import fileio

    from kerasknow.update.warm_start import KERAS_DIR, TRAINING_FILE

    path = os.path.join(model_uri, KERAS_DIR, TRAINING_FILE)
    if not fileio.exists(path):
        return {}
    with fileio.open(path, "r") as f:
        return json.loads(f.read())


def new_knowledge_metrics(metrics: Dict[str, Any]) -> Dict[str, Any]:
    """`metrics` of the new knowledge's held-out examples, with a classifier's macro-F1 taken over
    the classes those examples have.

    The held-out new knowledge holds only some classes (on a class-incremental update, only the
    new ones). Macro-F1 over every class that occurs in the true *or predicted* labels counts each
    old class the candidate predicts there at F1 0, so a candidate that got 96% of the new
    examples right scored 0.49 against a two-class chance baseline of 0.5 (measured on BBC News,
    3 then 2 classes). The gate compares it with a baseline of those classes, so it is the
    classes of the examples that count. NER's entity F1 (micro) needs no such change.

    >>> m = {"f1": 0.4, "per_class": {"a": {"f1": 0.0, "support": 0}, "b": {"f1": 0.8, "support": 5},
    ...      "c": {"f1": 0.9, "support": 5}}, "confusion_matrix": [[0]]}
    >>> round(new_knowledge_metrics(m)["f1"], 3)
    0.85
    """
    if "confusion_matrix" not in metrics or not metrics.get("per_class"):
        return metrics
    supported = [m["f1"] for m in metrics["per_class"].values() if m["support"] > 0]
    if not supported:
        return metrics
    return dict(metrics, f1=float(sum(supported) / len(supported)))


def evaluate_update(family, cfg, candidate_uri: str, blessed_uri: str, old_examples: List[Dict[str, Any]],
                    new_examples: List[Dict[str, Any]], plan, labels: List[str]) -> Tuple[Dict[str, Any], List[str]]:
    """Scores an update against the blessed model it started from.

    Args:
        family: The task family.
        cfg: The evaluator's config (`blessing`).
        candidate_uri: The candidate's model artifact URI.
        blessed_uri: The blessed model's artifact URI.
        old_examples: Held-out examples of the old knowledge (`eval_old`).
        new_examples: Held-out examples of the new knowledge (`eval_new`).
        plan: The training examples' `UpdatePlan`.
        labels: The candidate's label vocabulary.

    Returns:
        `(update_metrics, reasons)`: `retention` (`kerasknow.metrics.retention`), `new_knowledge`
        metrics and their gate, `cost` next to a full retrain's, and the reasons the candidate must
        not be blessed (empty when it may).
    """
    from tfx.utils import path_utils

    from kerasknow.metrics.blessing_gate import BlessingGate
    from kerasknow.metrics.retention import refusals

    gate_cfg = cfg.blessing
    candidate_dir, blessed_dir = path_utils.serving_model_path(candidate_uri), path_utils.serving_model_path(blessed_uri)
    reasons: List[str] = []
    result: Dict[str, Any] = {"strategy": plan.strategy, "previous_model": blessed_uri,
                              "old_labels": plan.old_labels, "new_labels": plan.summary.get("new_labels", [])}
    if old_examples:
        retention = family.retention(candidate_dir, blessed_dir, old_examples, plan.old_labels,
                                     gate_cfg.max_forgetting)
        result["retention"] = retention
        reasons += refusals(retention)
        if retention["absorption"] > gate_cfg.max_absorption:
            reasons.append(f"absorption {retention['absorption']:.3f} > {gate_cfg.max_absorption:g} "
                           f"({setting('blessing.max_absorption')}): the candidate assigns that share of old held-out "
                           "examples to new classes")
    if new_examples:
        new_metrics = new_knowledge_metrics(family.evaluate_new_knowledge(candidate_dir, new_examples, labels, cfg, plan))
        # The baseline of the whole held-out knowledge, not of the new examples alone: those often
        # hold one class (sentiment gaining `neutral`), whose majority-class baseline is a perfect
        # score no model can beat.
        gate = BlessingGate.from_config(gate_cfg, family.baseline(list(old_examples) + list(new_examples)),
                                        family.spec)
        ok, why = gate.decide(new_metrics)
        result["new_knowledge"] = {"accuracy": new_metrics["accuracy"], "f1": new_metrics["f1"],
                                   "gate": gate.report(), "per_class": new_metrics.get("per_class", {})}
        if new_metrics.get("background_types"):
            result["new_knowledge"]["background_types"] = new_metrics["background_types"]
        reasons += [f"new knowledge: {reason}" for reason in why]
    cost = training_cost(candidate_uri)
    if cost:
        knowledge_train = max(0, plan.summary.get("knowledge_size", 0) - len(old_examples) - len(new_examples))
        retrain = knowledge_train * cost.get("full_epochs", cost.get("epochs", 0))
        cost["retrain_examples_estimate"] = retrain
        cost["share_of_retrain"] = cost["examples_processed"] / retrain if retrain else None
        result["cost"] = cost
    return result, reasons


def update_scalars(update: Dict[str, Any]) -> Dict[str, float]:
    """TensorBoard scalars of an update: forgetting and recall before/after per old class, and the summary."""
    scalars: Dict[str, float] = {}
    retention = update.get("retention")
    if retention:
        scalars.update({"update/max_forgetting": retention["max_forgetting"], "update/absorption": retention["absorption"],
                        "update/backward_transfer": retention["backward_transfer"]})
        for label, m in retention["per_class"].items():
            scalars[f"forgetting/{label}"] = m["forgetting"]
            scalars[f"recall_before/{label}"] = m["recall_before"]
            scalars[f"recall_after/{label}"] = m["recall_after"]
    if "new_knowledge" in update:
        scalars["update/new_accuracy"] = update["new_knowledge"]["accuracy"]
        scalars["update/new_f1"] = update["new_knowledge"]["f1"]
    share = update.get("cost", {}).get("share_of_retrain")
    if share is not None:
        scalars["update/cost_share_of_retrain"] = share
    return scalars


def render_update(update: Dict[str, Any]) -> str:
    """The retention table for metrics.txt and the terminal."""
    lines = [f"update ({update['strategy']}) of {update['previous_model']}"]
    retention = update.get("retention")
    if retention:
        lines += [f"  max forgetting {retention['max_forgetting']:.1f} points "
                  f"({retention.get('max_forgetting_class') or retention['worst_class']}; nearest its tolerance: "
                  f"{retention['worst_class']}), "
                  f"absorption {retention['absorption']:.3f}, backward transfer {retention['backward_transfer']:+.1f}",
                  f"  {'old class':24s} {'before':>8s} {'after':>8s} {'forgetting':>11s} {'allowed':>8s} {'n':>5s}"]
        for label, m in retention["per_class"].items():
            lines.append(f"  {label:24s} {m['recall_before']:8.3f} {m['recall_after']:8.3f} {m['forgetting']:11.1f} "
                         f"{m['tolerance']:8.1f} {m['support']:5d}")
    if "new_knowledge" in update:
        new = update["new_knowledge"]
        lines.append(f"  new knowledge: accuracy {new['accuracy']:.4f}, f1 {new['f1']:.4f} "
                     f"(thresholds {new['gate']['thresholds']['accuracy']:.4f} / {new['gate']['thresholds']['f1']:.4f})"
                     + (f"; unannotated old types read O there: {', '.join(new['background_types'])}"
                        if new.get("background_types") else ""))
    cost = update.get("cost")
    if cost:
        share = cost.get("share_of_retrain")
        lines.append(f"  cost: {cost['examples_processed']} examples in {cost['seconds']} s"
                     + (f", {share:.0%} of a full retrain's examples" if share is not None else ""))
    return "\n".join(lines) + "\n"
