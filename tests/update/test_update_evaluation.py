"""An update's gate on the new knowledge: the whole evaluation's baseline, F1 over the new classes,
NER's unannotated old types read `O` (in the new-knowledge gate and in the whole evaluation)."""
import pytest

from kerasknow.config import RunConfig
from kerasknow.family.registry import get_task_family
from kerasknow.metrics.classification_metrics import classification_metrics
from kerasknow.update.update_evaluation import evaluate_update
from kerasknow.update.update_plan import UpdatePlan

OLD = ["negative", "positive"]
LABELS = OLD + ["neutral"]


def _examples(labels):
    return [{"text": [f"text {i}".encode()], "label": [label.encode()]} for i, label in enumerate(labels)]


@pytest.fixture
def family(monkeypatch):
    """The real text family, scoring fixed predictions instead of a SavedModel."""
    family = get_task_family("text-classification")
    predictions = {}

    def evaluate(saved_model_dir, examples, labels, cfg):
        y_true = [ex["label"][0].decode() for ex in examples]
        return classification_metrics(y_true, predictions[len(examples)], labels)

    def retention(candidate_dir, blessed_dir, examples, old_labels, max_forgetting):
        return {"per_class": {}, "max_forgetting": 0.0, "absorption": 0.0, "max_forgetting_allowed": max_forgetting}

    monkeypatch.setattr(family, "evaluate", evaluate)
    monkeypatch.setattr(family, "retention", retention)
    return family, predictions


def test_a_single_new_class_is_judged_against_the_whole_knowledge_bases_baseline(family, tmp_path):
    family, predictions = family
    old, new = _examples(["negative"] * 10 + ["positive"] * 10), _examples(["neutral"] * 10)
    # 7 of 10 new examples right, 3 taken by old classes: a sound update of an overlapping class.
    predictions[len(new)] = ["neutral"] * 7 + ["negative", "positive", "negative"]
    plan = UpdatePlan("replay", "blessed", OLD, {"new_labels": ["neutral"], "knowledge_size": 30})
    update, refused = evaluate_update(family, RunConfig(), str(tmp_path / "candidate"), str(tmp_path / "blessed"),
                                      old, new, plan, LABELS)
    gate = update["new_knowledge"]["gate"]
    # Not the new examples' own majority class (all neutral: a perfect 1.0 nobody beats) but the
    # held-out knowledge's: 10 of 30, chance 1/3 over its three classes; plus 0.1 of the headroom.
    assert gate["thresholds"]["accuracy"] == pytest.approx(1 / 3 + 0.1 * (2 / 3))
    assert update["new_knowledge"]["accuracy"] == pytest.approx(0.7)
    assert update["new_knowledge"]["f1"] == pytest.approx(2 * 0.7 / 1.7)  # neutral's F1 only
    assert refused == []


def test_new_knowledge_below_the_baseline_is_refused(family, tmp_path):
    family, predictions = family
    old, new = _examples(["negative"] * 10 + ["positive"] * 10), _examples(["neutral"] * 10)
    predictions[len(new)] = ["neutral"] * 2 + ["negative"] * 8
    plan = UpdatePlan("replay", "blessed", OLD, {"new_labels": ["neutral"], "knowledge_size": 30})
    _, refused = evaluate_update(family, RunConfig(), str(tmp_path / "candidate"), str(tmp_path / "blessed"),
                                 old, new, plan, LABELS)
    assert refused and all(reason.startswith("new knowledge: ") for reason in refused)
    assert any("accuracy 0.2000 <" in reason for reason in refused), refused


def _tagging_caller(predicted):
    """A `SignatureCaller` that tags each sentence with `predicted[sentence]`, as a served NER model."""
    import numpy as np

    from kerasknow.data.example_codec import decode_example

    def call(signature, inputs):
        assert signature == "serving_examples"
        sentences = [" ".join(t.decode() for t in decode_example(s)["tokens"]) for s in inputs["examples"]]
        rows = [predicted[s] for s in sentences]
        width = max(len(r) for r in rows)
        return {"tags": np.array([[t.encode() for t in r] + [b"O"] * (width - len(r)) for r in rows], dtype=object),
                "token_counts": np.array([len(r) for r in rows])}
    return call


@pytest.mark.parametrize("old_model_labels, accuracy", [(True, 1.0), (False, 0.75)])
def test_ner_new_knowledge_does_not_count_right_tags_of_unannotated_old_types(monkeypatch, tmp_path,
                                                                             old_model_labels, accuracy):
    from kerasknow.ner import ner_evaluation

    family = get_task_family("ner")
    monkeypatch.setattr(family, "retention", lambda *a: {"per_class": {}, "max_forgetting": 0.0,
                                                         "absorption": 0.0, "max_forgetting_allowed": 1.0})
    # The new knowledge annotates movies only; Paris (an old `loc`) reads O there.
    new = [{"tokens": [b"Paris", b"shows", b"Alien", b"tonight"], "tags": [b"O", b"O", b"B-movie", b"O"]}] * 4
    old = [{"tokens": [b"Paris", b"is", b"big", b"."], "tags": [b"B-loc", b"O", b"O", b"O"]}] * 4
    monkeypatch.setattr(ner_evaluation, "as_caller", lambda model: _tagging_caller(
        {"Paris shows Alien tonight": ["B-loc", "O", "B-movie", "O"]}))
    plan = UpdatePlan("replay", "blessed", ["O", "B-loc", "I-loc"], {"new_labels": ["B-movie", "I-movie"],
                                                                     "knowledge_size": 16,
                                                                     "old_model_labels": old_model_labels})
    update, _ = evaluate_update(family, RunConfig(task="ner"), str(tmp_path / "candidate"), str(tmp_path / "blessed"), old, new, plan,
                                ["O", "B-loc", "I-loc", "B-movie", "I-movie"])
    assert update["new_knowledge"]["accuracy"] == pytest.approx(accuracy)
    assert update["new_knowledge"].get("background_types", []) == (["loc"] if old_model_labels else [])


def _ner_update(monkeypatch, tmp_path):
    from kerasknow.ner import ner_evaluation

    family = get_task_family("ner")
    monkeypatch.setattr(family, "retention", lambda *a: {"per_class": {}, "max_forgetting": 0.0,
                                                         "absorption": 0.0, "max_forgetting_allowed": 1.0})
    # Old knowledge: places. New: movies, its places left O. The candidate tags Paris as a place
    # in both; "Rome" in the old sentence it misses.
    old = [{"tokens": [b"Rome", b"is", b"old"], "tags": [b"B-loc", b"O", b"O"]}] * 2
    new = [{"tokens": [b"Paris", b"shows", b"Alien"], "tags": [b"O", b"O", b"B-movie"]}] * 2
    monkeypatch.setattr(ner_evaluation, "as_caller", lambda model: _tagging_caller(
        {"Paris shows Alien": ["B-loc", "O", "B-movie"], "Rome is old": ["O", "O", "O"]}))
    return family, old, new


@pytest.mark.parametrize("labels_seen, accuracy", [
    (["O", "B-movie"], 5 / 6),            # loc is background in the new sentences: Paris reads O
    (["O", "B-movie", "B-loc"], 4 / 6)])  # the new knowledge tags places itself: its O is its call
def test_ner_whole_evaluation_reads_unannotated_old_types_as_o_in_the_new_sentences_only(
        monkeypatch, tmp_path, labels_seen, accuracy):
    family, old, new = _ner_update(monkeypatch, tmp_path)
    labels = ["O", "B-loc", "I-loc", "B-movie", "I-movie"]
    plan = UpdatePlan("replay", "blessed", ["O", "B-loc", "I-loc"], {"labels_seen": labels_seen,
                                                                     "old_model_labels": True})
    metrics = family.evaluate_knowledge(str(tmp_path / "candidate"), old, new, labels, RunConfig(task="ner"), plan)
    # The old sentence's missed Rome stays an error either way: masking is for the new part only.
    assert metrics["accuracy"] == pytest.approx(accuracy)
    assert metrics["background_types"] == (["loc"] if "B-loc" not in labels_seen else [])
    # Trained on the new knowledge's O as given (update.old_model_labels false), scored on it.
    plan = UpdatePlan("replay", "blessed", plan.old_labels, dict(plan.summary, old_model_labels=False))
    off = family.evaluate_knowledge(str(tmp_path / "candidate"), old, new, labels, RunConfig(task="ner"), plan)
    assert off["accuracy"] == pytest.approx(4 / 6) and off["background_types"] == []


def test_ner_new_knowledge_reads_what_the_new_knowledge_annotates_from_the_plan(monkeypatch, tmp_path):
    family, _, new = _ner_update(monkeypatch, tmp_path)
    labels = ["O", "B-loc", "I-loc", "B-movie", "I-movie"]
    # The held-out sentences tag no place, but the new knowledge's training sentences do.
    plan = UpdatePlan("replay", "blessed", ["O", "B-loc", "I-loc"], {"labels_seen": ["O", "B-loc", "B-movie"],
                                                                     "old_model_labels": True})
    metrics = family.evaluate_new_knowledge(str(tmp_path / "candidate"), new, labels, RunConfig(task="ner"), plan)
    assert metrics["background_types"] == [] and metrics["accuracy"] == pytest.approx(2 / 3)


def test_outside_rows_must_match_the_eval_examples(monkeypatch, tmp_path):
    from kerasknow.ner.ner_evaluation import evaluate_ner_model

    _, old, new = _ner_update(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match=r"one flag per eval example \(2\).*len\(outside_rows\)=3"):
        evaluate_ner_model("candidate", new, ["O", "B-loc"], outside_types={"loc"}, outside_rows=[True] * 3)
