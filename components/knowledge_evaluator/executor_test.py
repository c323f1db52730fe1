"""KnowledgeEvaluator's executor on real TFX artifacts: an exported tiny model and real examples."""
import json
import os

import pytest

from kerasknow.components.component_keys import BLESSING_KEY, CONFIG_KEY, EVALUATION_KEY, EXAMPLES_KEY, MODEL_KEY
from kerasknow.components.knowledge_artifacts import KnowledgeEvaluation
from kerasknow.components.knowledge_evaluator.component import KnowledgeEvaluator
from kerasknow.components.knowledge_evaluator.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.testing import artifact, exported_model, run_example_gen


@pytest.fixture(scope="module")
def exported(tmp_path_factory, tiny_bert_dir):
    """Examples of a small CSV and an untrained tiny text classifier exported as the Trainer would."""
    root = tmp_path_factory.mktemp("evaluator")
    data = root / "k.csv"
    data.write_text("text,label\n" + "".join(f"fact number {i},{'ab'[i % 2]}\n" for i in range(40)))
    cfg = RunConfig(data=str(data), output=str(root / "out"), model={"checkpoint": tiny_bert_dir,
                                                                     "max_seq_length": 16})
    examples, _ = run_example_gen(cfg, str(root / "gen"))
    return cfg, examples, exported_model(cfg, examples, str(root)), root


def _evaluate(cfg, examples, model, root, name):
    """Runs the executor as pipeline run `name`."""
    from tfx.dsl.components.base.base_executor import BaseExecutor
    from tfx.types import standard_artifacts

    blessing = artifact(standard_artifacts.ModelBlessing, str(root / name / "blessing"))
    evaluation = artifact(KnowledgeEvaluation, str(root / name / "evaluation"))
    Executor(BaseExecutor.Context(pipeline_run_id=name)).Do(
        {MODEL_KEY: [model], EXAMPLES_KEY: [examples]}, {BLESSING_KEY: [blessing], EVALUATION_KEY: [evaluation]},
        {CONFIG_KEY: cfg.to_json(KnowledgeEvaluator.CONFIG_SECTIONS)})
    return blessing, json.load(open(os.path.join(evaluation.uri, "metrics.json")))


def test_the_default_gate_refuses_a_chance_level_model(exported):
    cfg, examples, model, root = exported  # an untrained classifier: chance level
    blessing, metrics = _evaluate(cfg, examples, model, root, "default")
    gate = metrics["gate"]
    assert gate["baseline"]["name"] in ("majority class ('a')", "majority class ('b')")
    assert gate["thresholds"]["accuracy"] == pytest.approx(gate["baseline"]["accuracy"]
                                                           + 0.1 * (1 - gate["baseline"]["accuracy"]), abs=1e-4)
    assert metrics["blessed"] is False and os.listdir(blessing.uri) == ["NOT_BLESSED"]
    assert "baseline" in blessing.get_string_custom_property("not_blessed_because")


def test_blesses_at_the_thresholds_and_refuses_above_them(exported):
    cfg, examples, model, root = exported
    cfg = cfg.with_overrides({"blessing.min_accuracy": 0.0, "blessing.min_f1": 0.0})
    blessing, metrics = _evaluate(cfg, examples, model, root, "lenient")
    assert metrics["num_examples"] == examples.get_int_custom_property("num_eval")
    assert set(metrics["per_class"]) == {"a", "b"} and metrics["blessed"] is True
    assert os.listdir(blessing.uri) == ["BLESSED"] and blessing.get_int_custom_property("blessed") == 1
    assert blessing.get_string_custom_property("current_model") == model.uri

    strict = cfg.with_overrides({"blessing.min_accuracy": min(1.0, metrics["accuracy"] + 0.01)})
    blessing, refused = _evaluate(strict, examples, model, root, "strict")
    assert refused["accuracy"] == metrics["accuracy"] and refused["blessed"] is False
    assert os.listdir(blessing.uri) == ["NOT_BLESSED"] and blessing.get_int_custom_property("blessed") == 0
    assert "(--min-accuracy / blessing.min_accuracy)" in blessing.get_string_custom_property("not_blessed_because")
    # Each run keeps its own report: the lenient run's still says blessed.
    assert json.load(open(root / "out" / "reports" / "strict" / "evaluation" / "metrics.json"))["blessed"] is False
    assert json.load(open(root / "out" / "reports" / "lenient" / "evaluation" / "metrics.json"))["blessed"] is True


def test_tensorboard_gets_scalars_the_text_a_per_class_chart_the_confusion_matrix_and_pr_curves(exported):
    from kerasknow.testing import summary_tags

    cfg, examples, model, root = exported
    _, metrics = _evaluate(cfg, examples, model, root, "board")
    tags = summary_tags(str(root / "out" / "tensorboard" / "board" / "evaluation"))
    assert {"accuracy", "macro_f1", "precision/a", "recall/b", "f1/a"} <= tags["scalars"]
    assert tags["text"] == {"metrics"}
    assert tags["images"] == {"per_class_precision_recall_f1", "confusion_matrix"}
    assert tags["pr_curves"] == {"pr_curves/a/pr_curves", "pr_curves/b/pr_curves"}
    # The curves are the model's own probabilities: at threshold 0 every example is a positive.
    curve = metrics["pr_curves"]["a"]
    support = metrics["per_class"]["a"]["support"]
    assert curve["tp"][0] == support and curve["tp"][0] + curve["fp"][0] == metrics["num_examples"]


def test_the_evaluator_is_handed_only_the_blessing_section(exported):
    cfg, *_ = exported
    assert set(json.loads(cfg.to_json(KnowledgeEvaluator.CONFIG_SECTIONS))) == {"task", "output", "blessing"}
