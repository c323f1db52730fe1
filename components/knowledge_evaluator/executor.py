"""KnowledgeEvaluator's executor."""
import json
import logging
import os
from typing import Any, Dict, List

from tfx.utils import path_utils

from kerasknow.components.component_io import copy_tree, read_split, write_text
from kerasknow.components.component_keys import (BASELINE_MODEL_KEY, BLESSING_KEY, EVALUATION_KEY, EXAMPLES_KEY,
                                                 MODEL_KEY)
from kerasknow.components.knowledge_executor import KnowledgeExecutor, StepContext
from kerasknow.data.label_vocabulary import read_labels
from kerasknow.metrics.blessing_gate import BlessingGate
from kerasknow.update.update_evaluation import evaluate_update, render_update
from kerasknow.update.update_plan import UpdatePlan

logger = logging.getLogger(__name__)


def render_metrics(metrics: Dict[str, Any], blessed: bool, reasons: List[str]) -> str:
    gate = metrics.get("gate")
    lines = [f"accuracy: {metrics['accuracy']:.4f}", f"f1: {metrics['f1']:.4f}"]
    if gate:
        base = gate["baseline"]
        lines += [f"baseline: {base['name']} accuracy {base['accuracy']:.4f}; {base['f1_name']} f1 {base['f1']:.4f}",
                  f"thresholds: accuracy {gate['thresholds']['accuracy']:.4f}, f1 {gate['thresholds']['f1']:.4f}"]
    lines += [f"blessed: {blessed}" + (f" ({'; '.join(reasons)})" if reasons else ""), "",
             f"{'class':24s} {'precision':>9s} {'recall':>9s} {'f1':>9s} {'support':>8s}"]
    for name, m in metrics.get("per_class", {}).items():
        lines.append(f"{name:24s} {m['precision']:9.4f} {m['recall']:9.4f} {m['f1']:9.4f} {m['support']:8d}")
    if "confusion_matrix" in metrics:
        lines += ["", "confusion matrix (rows true, columns predicted): " + ", ".join(metrics["labels"])]
        lines += ["  " + " ".join(f"{v:5d}" for v in row) for row in metrics["confusion_matrix"]]
    return "\n".join(lines) + "\n"


def write_summaries(logdir: str, metrics: Dict[str, Any], text: str) -> None:
    import tensorflow as tf

    from kerasknow.metrics.confusion_image import confusion_matrix_image

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=0):
        for name, value in metrics.get("scalars", {}).items():
            tf.summary.scalar(name, value)
        tf.summary.text("metrics", "```\n" + text + "\n```")
        if "confusion_matrix" in metrics:
            image = confusion_matrix_image(metrics["confusion_matrix"], metrics["labels"])
            tf.summary.image("confusion_matrix", image[None, ...])
        update = metrics.get("update")
        if update:
            from kerasknow.metrics.retention_image import retention_image
            from kerasknow.update.update_evaluation import update_scalars

            for name, value in update_scalars(update).items():
                tf.summary.scalar(name, value)
            if update.get("retention", {}).get("per_class"):
                tf.summary.image("retention", retention_image(update["retention"]["per_class"])[None, ...])
    writer.close()


class Executor(KnowledgeExecutor):
    """Evaluates, records and blesses (or not)."""

    def run(self, step: StepContext) -> None:
        cfg, family = step.config, step.family
        model, examples = step.inputs[MODEL_KEY], step.inputs[EXAMPLES_KEY]
        blessing, evaluation = step.outputs[BLESSING_KEY], step.outputs[EVALUATION_KEY]

        labels = read_labels(examples.uri)
        saved_model_dir = path_utils.serving_model_path(model.uri)
        eval_examples = read_split(examples, "eval")
        metrics = family.evaluate(saved_model_dir, eval_examples, labels, cfg)
        gate = BlessingGate.from_config(cfg.blessing, family.baseline(eval_examples), family.spec)
        blessed, reasons = gate.decide(metrics)
        metrics["gate"] = gate.report()
        plan = UpdatePlan.read(examples.uri)
        baseline_model = step.inputs.get(BASELINE_MODEL_KEY)
        if plan is not None and plan.is_update and baseline_model is not None:
            update, refused = evaluate_update(family, cfg, model.uri, baseline_model.uri,
                                              read_split(examples, "eval_old"), read_split(examples, "eval_new"),
                                              plan, labels)
            metrics["update"] = update
            reasons += refused
            blessed = not reasons
        metrics["blessed"], metrics["not_blessed_because"] = blessed, reasons
        text = render_metrics(metrics, blessed, reasons)
        if "update" in metrics:
            text += "\n" + render_update(metrics["update"])

        write_text(os.path.join(evaluation.uri, "metrics.json"), json.dumps(metrics, indent=2))
        write_text(os.path.join(evaluation.uri, "metrics.txt"), text)
        copy_tree(evaluation.uri, os.path.join(cfg.reports_dir(), "evaluation"))
        write_summaries(os.path.join(cfg.tensorboard_dir(), "evaluation"), metrics, text)

        # The same contract as TFX's Evaluator, so the standard Pusher honours it.
        write_text(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "")
        blessing.set_int_custom_property("blessed", int(blessed))
        blessing.set_string_custom_property("current_model", model.uri)
        blessing.set_int_custom_property("current_model_id", model.id)
        blessing.set_string_custom_property("not_blessed_because", "; ".join(reasons))
        base = gate.baseline
        if "update" in metrics:
            print(render_update(metrics["update"]), end="", flush=True)
        print(f"[kerasknow] evaluation: {family.spec.accuracy_name} {metrics['accuracy']:.4f} (baseline "
              f"{base.accuracy:.4f}), {family.spec.f1_name} {metrics['f1']:.4f} (baseline {base.f1:.4f}); "
              f"{'blessed' if blessed else 'NOT blessed: ' + '; '.join(reasons)}", flush=True)
