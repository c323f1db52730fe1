"""One result of knowledge validation."""
import dataclasses
from typing import Any, Dict

SEVERITIES = ("error", "warning", "info")


@dataclasses.dataclass
class Finding:
    """One knowledge-validation result.

    Args:
        check: Short machine name, e.g. `"conflicting_labels"`.
        severity: `"error"` stops the pipeline before training; `"warning"` is reported only;
            `"info"` is a measurement.
        message: Readable sentence with the numbers.
        details: JSON-serialisable evidence (examples, counts).
        scalars: TensorBoard scalars the finding measured, tag -> number (e.g.
            `{"examples_per_label/sport": 511}`); the validator writes them as they are, so a
            check that measures something reaches TensorBoard without the executor knowing it.

    Raises:
        ValueError: For a severity other than error, warning or info.

    Example:

    >>> Finding("empty_texts", "error", "2 empty texts.", {"count": 2}, {"data/empty_texts": 2}).severity
    'error'
    """

    check: str
    severity: str
    message: str
    details: Dict[str, Any] = dataclasses.field(default_factory=dict)
    scalars: Dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be 'error', 'warning' or 'info'. Received: severity={self.severity!r}")
