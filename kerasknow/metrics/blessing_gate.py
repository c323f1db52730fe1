"""The blessing decision: a model is pushed only when it clearly beats its trivial baseline."""
import dataclasses
from typing import Any, Dict, List, Optional

from kerasknow.config.settings import setting
from kerasknow.metrics.baseline import Baseline


@dataclasses.dataclass(frozen=True)
class BlessingGate:
    """Thresholds on accuracy and f1, from the `blessing` section and the task's baseline.

    A measure without a configured minimum must reach `baseline + margin x (1 - baseline)`: a
    share `margin` of the headroom above what the trivial predictor scores. A configured
    minimum (`--min-accuracy`, `--min-f1`) replaces that threshold.

    Args:
        baseline: The trivial predictor's scores on the same eval split.
        margin: `blessing.margin`.
        min_accuracy: `blessing.min_accuracy`, or None.
        min_f1: `blessing.min_f1`, or None.
        accuracy_name: What `accuracy` measures, for messages (`"token accuracy"`).
        f1_name: What `f1` measures (`"macro-F1"`, `"entity micro-F1"`).

    Example:

    >>> gate = BlessingGate(Baseline("majority class ('a')", 0.5, 0.33), margin=0.1)
    >>> gate.thresholds()
    {'accuracy': 0.55, 'f1': 0.397}
    >>> gate.decide({"accuracy": 0.9, "f1": 0.9})
    (True, [])
    """

    baseline: Baseline
    margin: float = 0.1
    min_accuracy: Optional[float] = None
    min_f1: Optional[float] = None
    accuracy_name: str = "accuracy"
    f1_name: str = "macro-F1"

    @classmethod
    def from_config(cls, blessing, baseline: Baseline, spec) -> "BlessingGate":
        """The gate of a run's `blessing` section for a family's `TaskSpec`."""
        return cls(baseline, blessing.margin, blessing.min_accuracy, blessing.min_f1, spec.accuracy_name,
                   spec.f1_name)

    def _threshold(self, configured: Optional[float], base: float) -> float:
        if configured is not None:
            return float(configured)
        return round(base + self.margin * (1.0 - base), 4)

    def thresholds(self) -> Dict[str, float]:
        """`{"accuracy": ..., "f1": ...}`: what a model must reach."""
        return {"accuracy": self._threshold(self.min_accuracy, self.baseline.accuracy),
                "f1": self._threshold(self.min_f1, self.baseline.f1)}

    def decide(self, metrics: Dict[str, Any]):
        """`(blessed, reasons)`: each reason names the measure, the model's and the baseline's figures,
        the threshold and the settings that move it."""
        reasons: List[str] = []
        thresholds = self.thresholds()
        for key, name, configured, base, predictor in (
                ("accuracy", self.accuracy_name, self.min_accuracy, self.baseline.accuracy, self.baseline.name),
                ("f1", self.f1_name, self.min_f1, self.baseline.f1, self.baseline.f1_name)):
            if metrics[key] >= thresholds[key]:
                continue
            path = "blessing.min_accuracy" if key == "accuracy" else "blessing.min_f1"
            if configured is not None:
                rule = f"the configured minimum ({setting(path)})"
            else:
                rule = (f"the {predictor} baseline {base:.4f} plus a margin of {self.margin:g} of the "
                        f"headroom ({setting('blessing.margin')}; {setting(path)} sets a threshold)")
            reasons.append(f"{name} {metrics[key]:.4f} < {thresholds[key]:.4f}, {rule}")
        return not reasons, reasons

    def report(self) -> Dict[str, Any]:
        """What metrics.json records of the gate."""
        return {"baseline": dataclasses.asdict(self.baseline), "margin": self.margin,
                "thresholds": self.thresholds()}
