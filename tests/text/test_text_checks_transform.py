import dataclasses
import typing

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.family.registry import get_task_family
from kerasknow.text.text_checks_transform import TextClassificationChecks


def _examples():
    """Serialised examples per split with every finding the text checks make, some past their caps."""
    train = [(f"Filler text number {i}", "abc"[i % 3]) for i in range(40)]
    train += [(f"Repeated fact {i}", "a") for i in range(8)] * 2            # 8 duplicates: 5 listed
    train += [(f"Clashing fact {i}", "a") for i in range(12)]               # 12 conflicts: 10 listed
    train += [("   ", "b"), ("word " * 300, "c"), ("rare label", "z")]
    evaluation = [(f"clashing  FACT {i}", "b") for i in range(12)] + [("repeated fact 0", "a"), ("eval only", "e")]
    return {split: [encode_features({"text": t, "label": lab}).SerializeToString() for t, lab in rows]
            for split, rows in (("train", train), ("eval", evaluation))}


def test_the_beam_checks_give_the_in_memory_checks_findings():
    cfg = RunConfig(validation={"min_examples_per_label": 3}, model={"max_seq_length": 64})
    serialized = _examples()
    decoded = {split: [decode_example(d) for d in data] for split, data in serialized.items()}
    expected = get_task_family("text-classification").knowledge_checks(decoded, cfg)
    checks = {f.check: f for f in expected}
    # The data makes every finding, and the capped ones are capped.
    assert {"empty_texts", "exact_duplicates", "conflicting_labels", "examples_per_label",
            "too_few_examples_per_label", "eval_labels_unseen_in_train", "truncated_at_max_seq_length"} <= set(checks)
    assert checks["exact_duplicates"].details["count"] == 9
    assert len(checks["exact_duplicates"].details["examples"]) == 5
    assert checks["conflicting_labels"].details["count"] == 12
    assert len(checks["conflicting_labels"].details["examples"]) == 10

    with beam.Pipeline() as p:
        findings = (p | beam.Create([(s, d) for s, data in serialized.items() for d in data])
                    | TextClassificationChecks(cfg)
                    | beam.Map(lambda fs: [dataclasses.asdict(f) for f in fs]))
        assert_that(findings, equal_to([[dataclasses.asdict(f) for f in expected]]))


def test_no_examples_give_the_label_findings_only():
    cfg = RunConfig()
    with beam.Pipeline() as p:
        findings = (p | beam.Create([]).with_output_types(typing.Tuple[str, bytes]) | TextClassificationChecks(cfg)
                    | beam.Map(lambda fs: [f.check for f in fs]))
        assert_that(findings, equal_to([["examples_per_label"]]))
