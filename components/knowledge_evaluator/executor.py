"""KnowledgeEvaluator's executor."""
import json
import logging
import os

from tfx.utils import path_utils

from kerasknow.components.component_io import copy_tree, read_split, write_text
from kerasknow.components.component_keys import (BASELINE_MODEL_KEY, BLESSING_KEY, EVALUATION_KEY, EXAMPLES_KEY,
                                                 MODEL_KEY)
from kerasknow.components.knowledge_executor import KnowledgeExecutor, StepContext
from kerasknow.data.label_vocabulary import read_labels
from kerasknow.metrics.blessing_gate import BlessingGate
from kerasknow.metrics.evaluation_board import write_evaluation_summaries
from kerasknow.metrics.metrics_report import render_metrics
from kerasknow.update.update_evaluation import evaluate_update, render_update
from kerasknow.update.update_plan import UpdatePlan

logger = logging.getLogger(__name__)


class Executor(KnowledgeExecutor):
    """Evaluates, records and blesses (or not)."""

    def run(self, step: StepContext) -> None:
        cfg, family = step.config, step.family
        model, examples = step.inputs[MODEL_KEY], step.inputs[EXAMPLES_KEY]
        blessing, evaluation = step.outputs[BLESSING_KEY], step.outputs[EVALUATION_KEY]

        labels = read_labels(examples.uri)
        saved_model_dir = path_utils.serving_model_path(model.uri)
        plan = UpdatePlan.read(examples.uri)
        baseline_model = step.inputs.get(BASELINE_MODEL_KEY)
        is_update = plan is not None and plan.is_update and baseline_model is not None
        if is_update:
            # `eval` is these two parts; the new one is scored as its annotations allow.
            eval_old, eval_new = read_split(examples, "eval_old"), read_split(examples, "eval_new")
            eval_examples = eval_old + eval_new
            metrics = family.evaluate_knowledge(saved_model_dir, eval_old, eval_new, labels, cfg, plan)
        else:
            eval_examples = read_split(examples, "eval")
            metrics = family.evaluate(saved_model_dir, eval_examples, labels, cfg)
        gate = BlessingGate.from_config(cfg.blessing, family.baseline(eval_examples), family.spec)
        blessed, reasons = gate.decide(metrics)
        metrics["gate"] = gate.report()
        if is_update:
            update, refused = evaluate_update(family, cfg, model.uri, baseline_model.uri, eval_old, eval_new,
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
        copy_tree(evaluation.uri, step.reports_dir("evaluation"))
        write_evaluation_summaries(step.tensorboard_dir("evaluation"), metrics, text)

        # The same contract as TFX's Evaluator, so the standard Pusher honours it.
        write_text(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "")
        blessing.set_int_custom_property("blessed", int(blessed))
        blessing.set_string_custom_property("current_model", model.uri)
        blessing.set_int_custom_property("current_model_id", model.id)
        blessing.set_string_custom_property("not_blessed_because", "; ".join(reasons))
        base = gate.baseline
        if "update" in metrics:
            logger.info("Update evaluation:\n%s", render_update(metrics["update"]))
        logger.info("Evaluation: %s %.4f (baseline %.4f), %s %.4f (baseline %.4f); %s", family.spec.accuracy_name,
                    metrics["accuracy"], base.accuracy, family.spec.f1_name, metrics["f1"], base.f1,
                    "blessed" if blessed else "NOT blessed: " + "; ".join(reasons))
