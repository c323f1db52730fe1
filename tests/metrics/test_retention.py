import numpy as np
import pytest

from kerasknow.metrics.retention import Z, classification_retention, ner_retention, refusals, tolerance


def _one_hot(ids, width):
    out = np.full((len(ids), width), 0.01)
    out[np.arange(len(ids)), ids] = 0.9
    return out


def test_forgetting_is_measured_with_the_candidate_restricted_to_the_old_classes():
    y = [0] * 10 + [1] * 10
    blessed = _one_hot([0] * 10 + [1] * 9 + [0], 2)             # recall 1.0 and 0.9
    # The candidate sends 3 class-0 examples to the new class 2, but restricted to the old classes
    # it still says 0 for two of them (its second choice); it confuses none of class 1.
    cand = _one_hot([2, 2, 2] + [0] * 7 + [1] * 10, 3)
    cand[0, 0] = cand[1, 0] = 0.5
    cand[2, 1] = 0.5
    r = classification_retention(blessed, cand, y, ["a", "b"], max_forgetting=1.0)
    assert r["per_class"]["a"]["recall_after"] == 0.9 and r["per_class"]["a"]["forgetting"] == pytest.approx(10.0)
    assert r["per_class"]["b"]["forgetting"] == pytest.approx(-10.0)  # it learnt to separate b better
    assert r["absorption"] == pytest.approx(3 / 20) and r["worst_class"] == "a"
    assert r["backward_transfer"] == pytest.approx(0.0)
    assert r["old_accuracy_before"] == pytest.approx(0.95) and r["old_accuracy_after"] == pytest.approx(0.85)


def test_the_tolerance_is_the_setting_plus_the_noise_of_the_class_size():
    assert tolerance(1.0, 1.0, 400, 1.0) == pytest.approx(1.0 + 100 * Z * np.sqrt(1 / 400 / 400))
    assert tolerance(0.9, 0.85, 20, 1.0) > tolerance(0.9, 0.85, 2000, 1.0) > 1.0
    r = classification_retention(_one_hot([0] * 100, 2), _one_hot([0] * 90 + [1] * 10, 3), [0] * 100, ["a", "b"])
    assert refusals(r) == ["forgetting of 'a' 10.0 points > 7.3 allowed (blessing.max_forgetting 1 + noise on 100 "
                           "examples; recall 1.000 before, 0.900 after)"]


def test_ner_forgetting_and_absorption_are_on_entities():
    gold = [["B-person", "I-person", "O", "B-loc"], ["B-loc", "O"]]
    before = [["B-person", "I-person", "O", "B-loc"], ["B-loc", "O"]]
    after = [["B-person", "I-person", "O", "B-city"], ["O", "O"]]  # one loc absorbed by a new type, one lost
    r = ner_retention(gold, before, after, ["person", "loc"])
    assert r["per_class"]["person"]["forgetting"] == 0.0
    assert r["per_class"]["loc"]["forgetting"] == pytest.approx(100.0)
    assert r["absorption"] == pytest.approx(1 / 3) and r["old_examples"] == 3
