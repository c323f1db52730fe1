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
    from tfx.types import standard_artifacts

    blessing = artifact(standard_artifacts.ModelBlessing, str(root / name / "blessing"))
    evaluation = artifact(KnowledgeEvaluation, str(root / name / "evaluation"))
    Executor().Do({MODEL_KEY: [model], EXAMPLES_KEY: [examples]}, {BLESSING_KEY: [blessing], EVALUATION_KEY: [evaluation]},
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
    assert json.load(open(root / "out" / "reports" / "evaluation" / "metrics.json"))["blessed"] is False


def test_the_evaluator_is_handed_only_the_blessing_section(exported):
    cfg, *_ = exported
    assert set(json.loads(cfg.to_json(KnowledgeEvaluator.CONFIG_SECTIONS))) == {"task", "output", "blessing"}
