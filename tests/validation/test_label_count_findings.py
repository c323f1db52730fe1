from kerasknow.validation.label_count_findings import label_count_findings


def test_counts_few_and_unseen_labels_in_order():
    findings = label_count_findings(["a", "a", "a", "b"], ["a", "c"], min_examples_per_label=2, noun="images")
    assert [f.check for f in findings] == ["examples_per_label", "too_few_examples_per_label",
                                          "eval_labels_unseen_in_train"]
    assert [f.severity for f in findings] == ["info", "error", "warning"]
    assert findings[0].details == {"train": {"a": 3, "b": 1}, "eval": {"a": 1, "c": 1}}
    assert findings[1].details == {"labels": {"b": 1}}
    assert "training images: {'b': 1}. Add images" in findings[1].message
    assert findings[2].details == {"labels": ["c"]}


def test_enough_examples_gives_only_the_counts():
    findings = label_count_findings(iter(["x", "y"]), iter(["y"]), min_examples_per_label=1)
    assert [f.check for f in findings] == ["examples_per_label"]
    assert findings[0].message == "2 labels in train: x=1, y=1"
