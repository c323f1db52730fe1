"""The new knowledge's metrics: macro-F1 over the classes its held-out examples have."""
from kerasknow.metrics.classification_metrics import classification_metrics
from kerasknow.update.update_evaluation import new_knowledge_metrics

LABELS = ["business", "politics", "sports", "entertainment", "tech"]


def test_old_classes_predicted_on_new_examples_do_not_count_as_classes_of_f1_zero():
    # 50 new examples of two new classes, 48 right, 2 predicted as two different old classes:
    # what a good class-incremental update looks like (measured on BBC News, 3 then 2 classes).
    y_true = ["entertainment"] * 25 + ["tech"] * 25
    y_pred = ["entertainment"] * 24 + ["business"] + ["tech"] * 24 + ["sports"]
    metrics = classification_metrics(y_true, y_pred, LABELS)
    assert metrics["accuracy"] == 0.96 and metrics["f1"] < 0.66  # four classes averaged, two at 0
    fixed = new_knowledge_metrics(metrics)
    assert abs(fixed["f1"] - 0.9796) < 1e-4  # (2 * 24 / (2 * 24 + 1)) for both new classes
    assert fixed["accuracy"] == metrics["accuracy"] and fixed["per_class"] == metrics["per_class"]


def test_entity_f1_is_left_as_it_is():
    ner = {"accuracy": 0.9, "f1": 0.5, "per_class": {"person": {"f1": 0.9, "support": 3}}}
    assert new_knowledge_metrics(ner) == ner
