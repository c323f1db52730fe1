import pytest

from kerasknow.config import RunConfig
from kerasknow.metrics.baseline import Baseline, all_outside_baseline, classification_baseline
from kerasknow.metrics.blessing_gate import BlessingGate


def test_classification_baseline_is_the_majority_class_and_the_best_chance_macro_f1():
    b = classification_baseline(["a"] * 6 + ["b"] * 2 + ["c"] * 2)
    assert b.name == "majority class ('a')" and b.accuracy == 0.6
    # always 'a': 2*0.6/1.6/3 = 0.25; stratified guessing: 1/3; uniform guessing: 0.3270 -> 1/3.
    assert b.f1 == pytest.approx(1 / 3)
    balanced = classification_baseline([str(i % 10) for i in range(100)])
    assert (balanced.accuracy, balanced.f1) == (pytest.approx(0.1), pytest.approx(0.1))
    with pytest.raises(ValueError, match=r"at least one eval label"):
        classification_baseline([])


def test_all_outside_baseline():
    b = all_outside_baseline([["O", "B-person", "I-person"], ["O"]])
    assert (b.name, b.accuracy, b.f1) == ("all-O tagger", 0.5, 0.0)


def test_default_thresholds_are_the_baseline_plus_a_share_of_the_headroom():
    gate = BlessingGate(Baseline("majority class ('0')", 0.1, 0.1), margin=0.1)
    assert gate.thresholds() == {"accuracy": 0.19, "f1": 0.19}
    # A chance-level model (the probe's 0.10 on ten digit classes) is refused, naming both figures.
    ok, reasons = gate.decide({"accuracy": 0.10, "f1": 0.02})
    assert not ok and reasons[0].startswith("accuracy 0.1000 < 0.1900, the majority class ('0') baseline 0.1000 "
                                            "plus a margin of 0.1 of the headroom (--blessing-margin")
    assert reasons[1].startswith("macro-F1 0.0200 < 0.1900, the chance baseline 0.1000")
    assert gate.decide({"accuracy": 0.5, "f1": 0.45}) == (True, [])


def test_configured_minimums_replace_the_baseline_threshold():
    gate = BlessingGate.from_config(RunConfig(task="ner", blessing={"min_accuracy": 0.0}).blessing,
                                    Baseline("all-O tagger", 0.94, 0.0, "all-O tagger"), RunConfig(task="ner").spec)
    assert gate.thresholds() == {"accuracy": 0.0, "f1": 0.1}
    ok, reasons = gate.decide({"accuracy": 0.95, "f1": 0.0})
    assert not ok and reasons == [
        "entity micro-F1 0.0000 < 0.1000, the all-O tagger baseline 0.0000 plus a margin of 0.1 of the headroom "
        "(--blessing-margin / blessing.margin; --min-f1 / blessing.min_f1 sets a threshold)"]
    strict = BlessingGate(Baseline("x", 0.5, 0.5), min_accuracy=0.9, min_f1=0.2)
    assert strict.decide({"accuracy": 0.8, "f1": 0.3}) == (
        False, ["accuracy 0.8000 < 0.9000, the configured minimum (--min-accuracy / blessing.min_accuracy)"])
