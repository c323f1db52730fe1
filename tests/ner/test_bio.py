import random

import pytest
from seqeval.metrics.sequence_labeling import get_entities

from kerasknow.ner.bio import entity_spans, invalid_continuations, is_valid_tag, looks_like_iob1, split_tag, to_iob2


@pytest.mark.parametrize("tag,valid", [("O", True), ("B-PER", True), ("I-geo-loc", True), ("B-", False),
                                       ("PER", False), ("E-PER", False), ("b-PER", False), ("B-a b", False),
                                       ("", False), ("O-PER", False)])
def test_is_valid_tag(tag, valid):
    assert is_valid_tag(tag) is valid


def test_split_tag():
    assert split_tag("B-geo-loc") == ("B", "geo-loc")
    assert split_tag("I-PER") == ("I", "PER")
    assert split_tag("O") == ("O", "")
    with pytest.raises(ValueError, match="Received: tag='PER'"):
        split_tag("PER")


def test_invalid_continuations_and_repair():
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-ORG", "B-ORG", "I-LOC"]
    assert invalid_continuations(tags) == [0, 5, 7]
    assert to_iob2(tags) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "B-ORG", "B-ORG", "B-LOC"]
    assert invalid_continuations(to_iob2(tags)) == []
    valid = ["B-PER", "I-PER", "B-PER", "O"]
    assert to_iob2(valid) == valid


def test_iob1_detection():
    iob1 = [["I-PER", "I-PER", "O"], ["O", "I-LOC", "B-LOC", "I-LOC"]]
    assert looks_like_iob1(iob1)
    assert to_iob2(iob1[1]) == ["O", "B-LOC", "B-LOC", "I-LOC"]
    # IOB2 with one broken I- stays IOB2 (its error is reported, not silently converted).
    assert not looks_like_iob1([["B-PER", "I-PER", "O"], ["O", "I-LOC"]])
    # Only B- after the same type and no I- start: ambiguous input that is valid IOB2 anyway.
    assert not looks_like_iob1([["O", "O"]])


def test_entity_spans_equal_seqeval_on_random_sequences():
    rng = random.Random(0)
    vocab = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "E-LOC", "S-PER", "B", "I", "."]
    for _ in range(2000):
        tags = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        expected = [(t, s, e + 1) for t, s, e in get_entities(tags)]
        assert entity_spans(tags) == expected, tags


def test_entity_spans_conlleval_rules():
    assert entity_spans(["I-PER", "I-PER", "O", "B-LOC", "I-PER"]) == [("PER", 0, 2), ("LOC", 3, 4), ("PER", 4, 5)]
    assert entity_spans([]) == []
