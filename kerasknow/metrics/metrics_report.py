"""The evaluation's metrics as text: `metrics.txt`, TensorBoard's text, `kerasknow evaluate`."""
from typing import Any, Dict, List


def render_metrics(metrics: Dict[str, Any], blessed: bool, reasons: List[str], verdict: str = "blessed") -> str:
    """The figures, the gate, per-class precision/recall/F1 and the confusion matrix as text.

    Args:
        metrics: `TaskFamily.evaluate`'s dict, with `gate` (`BlessingGate.report()`) when judged.
        blessed: The gate's decision.
        reasons: Why not, one line each.
        verdict: What the decision is called (`kerasknow evaluate` judges a served model by the
            default gate without blessing anything).
    """
    gate = metrics.get("gate")
    lines = [f"accuracy: {metrics['accuracy']:.4f}", f"f1: {metrics['f1']:.4f}"]
    if gate:
        base = gate["baseline"]
        lines += [f"baseline: {base['name']} accuracy {base['accuracy']:.4f}; {base['f1_name']} f1 {base['f1']:.4f}",
                  f"thresholds: accuracy {gate['thresholds']['accuracy']:.4f}, f1 {gate['thresholds']['f1']:.4f}"]
    lines += [f"{verdict}: {blessed}" + (f" ({'; '.join(reasons)})" if reasons else ""), "",
              f"{'class':24s} {'precision':>9s} {'recall':>9s} {'f1':>9s} {'support':>8s}"]
    for name, m in metrics.get("per_class", {}).items():
        lines.append(f"{name:24s} {m['precision']:9.4f} {m['recall']:9.4f} {m['f1']:9.4f} {m['support']:8d}")
    if "confusion_matrix" in metrics:
        lines += ["", "confusion matrix (rows true, columns predicted): " + ", ".join(metrics["labels"])]
        lines += ["  " + " ".join(f"{v:5d}" for v in row) for row in metrics["confusion_matrix"]]
    return "\n".join(lines) + "\n"
