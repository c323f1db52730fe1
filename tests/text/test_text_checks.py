from kerasknow.config import RunConfig
from kerasknow.text.text_checks import text_classification_checks


def ex(text, label):
    return {"text": [text.encode()], "label": [label.encode()]}


def by_check(findings):
    return {f.check: f for f in findings}


def test_duplicates_conflicts_counts_and_truncation():
    train = [ex("Same text", "a"), ex("same  TEXT", "a"), ex("Clash", "a"), ex("other", "b")] + \
            [ex(f"filler {i}", "a") for i in range(5)]
    evaluation = [ex("clash", "b"), ex("only in eval", "c")]
    cfg = RunConfig(validation={"min_examples_per_label": 2, "max_truncated_fraction": 0.1},
                    model={"max_seq_length": 10})
    lengths = [5] * 9 + [40, 12]
    f = by_check(text_classification_checks({"train": train, "eval": evaluation}, cfg, lengths))
    assert f["exact_duplicates"].severity == "warning" and f["exact_duplicates"].details["count"] == 1
    assert f["conflicting_labels"].severity == "error"
    assert f["conflicting_labels"].details["examples"] == [{"text": "clash", "labels": ["a", "b"]}]
    assert f["too_few_examples_per_label"].details["labels"] == {"b": 1}
    assert f["eval_labels_unseen_in_train"].details["labels"] == ["c"]
    trunc = f["truncated_at_max_seq_length"]
    assert trunc.details["truncated"] == 2 and trunc.severity == "warning"
    # Each finding carries the TensorBoard scalars it measured.
    assert trunc.scalars == {"data/truncated_fraction": 2 / 11}
    assert f["examples_per_label"].scalars == {"examples_per_label/a": 8, "examples_per_label/b": 1}


def test_clean_data_has_no_errors_and_conflicts_can_be_warnings():
    train = [ex(f"text {i}", "ab"[i % 2]) for i in range(20)] + [ex("x", "a")]
    cfg = RunConfig(validation={"min_examples_per_label": 5, "fail_on_conflicting_labels": False})
    findings = text_classification_checks({"train": train, "eval": [ex("X", "b")]}, cfg, [3] * 22)
    assert not [f for f in findings if f.severity == "error"]
    assert by_check(findings)["conflicting_labels"].severity == "warning"
    assert by_check(findings)["truncated_at_max_seq_length"].severity == "info"


def test_empty_texts_are_errors():
    findings = text_classification_checks({"train": [ex("  ", "a")] + [ex(f"t{i}", "a") for i in range(5)]},
                                          RunConfig(), [])
    assert by_check(findings)["empty_texts"].severity == "error"
