"""NER's knowledge checks on decoded examples (kerasknow.ner.ner_checks)."""
import pytest

from kerasknow.config import RunConfig
from kerasknow.ner.ner_checks import ner_checks


def _ex(tokens, tags):
    return {"tokens": [t.encode() for t in tokens], "tags": [t.encode() for t in tags]}


def _by_check(findings):
    return {f.check: f for f in findings}


def test_knowledge_checks_find_every_problem():
    config = RunConfig(task="ner", model={"max_seq_length": 12},
                       validation={"max_truncated_fraction": 0.1, "min_mentions_per_type": 2})
    splits = {
        "train": [
            _ex(["Ann", "met", "Bob"], ["B-person", "O", "B-person"]),
            _ex(["in", "Paris"], ["O", "I-loc"]),                      # I- without B-
            _ex(["x", "y"], ["O"]),                                    # count mismatch
            _ex(["Carl"], ["PER"]),                                    # unknown tag form
            _ex(["word"] * 20, ["O"] * 19 + ["B-person"]),             # 22 word pieces > 12
        ],
        "eval": [_ex(["Dune"], ["B-movie"])],                          # tag unseen in train
    }
    found = _by_check(ner_checks(splits, config))
    assert found["tag_count_mismatch"].severity == "error" and found["tag_count_mismatch"].details["count"] == 1
    assert found["unknown_tags"].severity == "error" and found["unknown_tags"].details["tags"] == {"PER": 1}
    invalid = found["invalid_bio"]
    assert invalid.severity == "error" and invalid.details["examples"][0]["token"] == "Paris"
    assert found["entity_mentions"].details["total"] == {"person": 3, "loc": 1, "movie": 1}
    assert found["rare_entity_types"].severity == "warning"
    assert found["rare_entity_types"].details["types"] == {"loc": 1, "movie": 0}
    assert found["unseen_eval_tags"].details["tags"] == ["B-movie"]
    trunc = found["truncated_sentences"]
    assert trunc.severity == "warning" and trunc.details["count"] == 1 and trunc.details["longest"] == 22
    assert trunc.details["fraction"] == pytest.approx(1 / 5)  # the mismatched sentence is not measured
    assert trunc.scalars == {"data/truncated_fraction": pytest.approx(1 / 5)}
    assert found["entity_mentions"].scalars == {"entity_mentions/loc": 1, "entity_mentions/movie": 0,
                                                "entity_mentions/person": 3}

    relaxed = RunConfig(task="ner", model={"max_seq_length": 12}, ingest={"repair_bio": True},
                        validation={"max_truncated_fraction": 0.5, "min_mentions_per_type": 1})
    found = _by_check(ner_checks(splits, relaxed))
    assert found["invalid_bio"].severity == "warning"
    assert found["truncated_sentences"].severity == "info"
    assert found["rare_entity_types"].details["types"] == {"movie": 0}


def test_knowledge_checks_clean_data_and_no_entities():
    config = RunConfig(task="ner", validation={"min_mentions_per_type": 1})
    clean = {"train": [_ex(["Ann", "Lee", "runs"], ["B-person", "I-person", "O"])],
             "eval": [_ex(["Bob"], ["B-person"])]}
    found = _by_check(ner_checks(clean, config))
    assert sorted(found) == ["entity_mentions", "truncated_sentences"]
    assert all(f.severity == "info" for f in found.values())
    none = {"train": [_ex(["a"], ["O"])], "eval": [_ex(["b"], ["O"])]}
    assert _by_check(ner_checks(none, config))["no_entities"].severity == "error"
