"""Scores a served model on labelled knowledge, as the pipeline's evaluator scores its model.

The data is read by the task family's reader (any ingest format), every record becomes the same
`tf.Example` the pipeline writes, and the family's own evaluation code runs on it, only calling
the served model over gRPC instead of the SavedModel in process
(`kerasknow.metrics.signature_caller`). So the figures, per-class table and confusion matrix are
what the pipeline's evaluation would report on the same examples; the default blessing gate
(the family's baseline plus `blessing.margin` of the headroom) says whether it would be blessed.
"""
import dataclasses
from typing import Any, Dict, List

import numpy as np

from kerasknow.config import RunConfig
from kerasknow.config.sections import BlessingConfig


@dataclasses.dataclass
class ServedEvaluation:
    """The outcome of `evaluate_served_model`.

    Args:
        metrics: The family's metrics dict (`TaskFamily.evaluate`), with `gate`, `blessed` and
            `not_blessed_because` as the pipeline's `metrics.json` has them.
        text: The rendered metrics (the pipeline's `metrics.txt` layout).
        read, used, rejected: The data's records.
        rejects: The first rejects, `file:line: reason`.
        unknown_labels: True labels the model does not have (classification), scored as misses.
    """

    metrics: Dict[str, Any]
    text: str
    read: int
    used: int
    rejected: int
    rejects: List[str]
    unknown_labels: List[str]


def labelled_examples(config: RunConfig):
    """`(decoded examples, rejects report)` of `config.data`, read by the task family's reader."""
    from kerasknow.data.example_codec import decode_example
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.family.registry import get_task_family

    family = get_task_family(config.task)
    report = RejectsReport(max_reject_fraction=1.0)
    examples = [decode_example(family.to_example(record).SerializeToString()) for record in family.read(config, report)]
    return examples, report


def _model_classes(call, family, example) -> List[str]:
    """A classifier's class names from its `classes` output (one probe call), or [] without one."""
    name = "images" if "image" in example else "texts"
    value = example["image"][0] if name == "images" else example["text"][0]
    out = call("serving_default", {name: np.array([value], dtype=object)})
    if "classes" not in out:
        return []
    return [c.decode("utf-8") if isinstance(c, bytes) else str(c) for c in np.asarray(out["classes"])[0]]


def evaluate_served_model(call, config: RunConfig) -> ServedEvaluation:
    """Scores the model behind `call` (a `SignatureCaller`) on `config.data`.

    Args:
        call: The served model (`GrpcPredictor.caller()`).
        config: `task`, `data` and the `ingest` section (formats, columns).

    Raises:
        DataError: When the data has no usable record.
    """
    from kerasknow.errors import DataError
    from kerasknow.family.registry import get_task_family
    from kerasknow.metrics.blessing_gate import BlessingGate
    from kerasknow.metrics.metrics_report import render_metrics

    family = get_task_family(config.task)
    examples, report = labelled_examples(config)
    if not examples:
        raise DataError(f"No usable labelled records in {config.data} ({report.summary_line()}).")
    truth = sorted({v.decode("utf-8") if isinstance(v, bytes) else str(v)
                    for ex in examples for v in ex.get(family.label_feature, [])})
    unknown: List[str] = []
    if config.task == "ner":
        labels = truth
    else:
        classes = _model_classes(call, family, examples[0])
        unknown = [label for label in truth if classes and label not in classes]
        labels = (classes + unknown) if classes else truth
    try:
        metrics = family.evaluate(call, examples, labels, config)
    except ValueError as e:
        raise DataError(f"The served model's answers cannot be scored against {config.data}: {e}") from e
    gate = BlessingGate.from_config(BlessingConfig(), family.baseline(examples), family.spec)
    blessed, reasons = gate.decide(metrics)
    metrics.update(gate=gate.report(), blessed=blessed, not_blessed_because=reasons)
    text = render_metrics(metrics, blessed, reasons, verdict="passes the default blessing gate")
    rejects = [f"{r.location()}: {r.reason}" for r in report.rejects[:3]]
    return ServedEvaluation(metrics, text, report.read, report.used, report.rejected, rejects, unknown)
