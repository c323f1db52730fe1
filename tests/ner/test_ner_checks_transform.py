import dataclasses

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.family.registry import get_task_family
from kerasknow.ner.ner_checks_transform import NerChecks


def _ex(tokens, tags):
    return encode_features({"tokens": tokens, "tags": tags}).SerializeToString()


def _serialized():
    """Every NER finding, the capped ones past their caps (7 mismatches, 8 bad I- tags, 6 long sentences)."""
    train = [_ex(["Ann", "met", "Bob", f"n{i}"], ["B-person", "O", "B-person", "O"]) for i in range(10)]
    train += [_ex(["in", f"Paris{i}"], ["O", "I-loc"]) for i in range(8)]
    train += [_ex(["x", f"y{i}"], ["O"]) for i in range(7)]
    train += [_ex(["Carl"], ["PER"]), _ex(["Dora"], ["PER"]), _ex(["Eve"], ["MISC"])]
    train += [_ex(["word"] * (20 + i), ["O"] * (19 + i) + ["B-person"]) for i in range(6)]
    train += [_ex(["Ann", "met", "Bob", "n0"], ["B-person", "O", "B-person", "O"])]     # a repeated sentence
    evaluation = [_ex(["Dune"], ["B-movie"]), _ex(["in", "Rome"], ["O", "B-loc"])]
    return {"train": train, "eval": evaluation}


def test_the_beam_checks_give_the_in_memory_checks_findings(tiny_bert_dir):
    cfg = RunConfig(task="ner", model={"max_seq_length": 12, "checkpoint": tiny_bert_dir},
                    validation={"max_truncated_fraction": 0.1, "min_mentions_per_type": 2})
    serialized = _serialized()
    decoded = {split: [decode_example(d) for d in data] for split, data in serialized.items()}
    expected = get_task_family("ner").knowledge_checks(decoded, cfg)
    checks = {f.check: f for f in expected}
    assert {"tag_count_mismatch", "unknown_tags", "invalid_bio", "entity_mentions", "rare_entity_types",
            "unseen_eval_tags", "truncated_sentences"} <= set(checks)
    assert checks["tag_count_mismatch"].details["count"] == 7
    assert len(checks["tag_count_mismatch"].details["examples"]) == 5
    assert checks["invalid_bio"].details["count"] == 8 and len(checks["invalid_bio"].details["examples"]) == 5
    assert checks["truncated_sentences"].details["count"] == 6
    assert len(checks["truncated_sentences"].details["examples"]) == 5

    with beam.Pipeline() as p:
        findings = (p | beam.Create([(s, d) for s, data in serialized.items() for d in data])
                    | NerChecks(cfg)
                    | beam.Map(lambda fs: [dataclasses.asdict(f) for f in fs]))
        assert_that(findings, equal_to([[dataclasses.asdict(f) for f in expected]]))
