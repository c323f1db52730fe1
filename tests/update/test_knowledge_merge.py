import pytest

from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.errors import DataError
from kerasknow.family.registry import get_task_family
from kerasknow.update.knowledge_merge import merge_knowledge, merged_labels

TEXT = get_task_family("text-classification")


def _ex(text, label):
    data = encode_features({"text": text, "label": label}).SerializeToString()
    return decode_example(data), data


def _texts(records):
    return sorted(decode_example(r)["text"][0].decode() for r in records)


OLD = {"train": [_ex(f"old sport {i}", "sport") for i in range(6)] + [_ex(f"old tech {i}", "tech") for i in range(6)],
       "eval": [_ex("held sport", "sport"), _ex("held tech", "tech")]}


def test_old_labels_keep_their_ids_and_new_ones_are_appended():
    assert merged_labels(["tech", "sport"], ["art", "sport", "business"]) == ["tech", "sport", "art", "business"]


def test_an_update_merges_known_corrected_and_new_knowledge():
    new = {"train": [_ex("old sport 1", "sport"),          # already known
                     _ex("Old  Tech 2", "sport"),          # a correction (same text after folding)
                     _ex("a painting", "art"), _ex("a sculpture", "art")],
           "eval": [_ex("an opera", "art")]}
    merge = merge_knowledge(TEXT, new, OLD, ["sport", "tech"], "replay", replay_size=4, seed=0)
    assert merge.labels == ["sport", "tech", "art"] and merge.new_labels == ["art"]
    s = merge.summary
    assert (s["old"], s["new"], s["already_known"], s["corrections"], s["replayed"]) == (14, 4, 1, 1, 4)
    assert s["correction_examples"] == [{"key": "old tech 2", "old": ["tech"], "new": ["sport"]}]
    # The knowledge base: the old minus the corrected text, plus the new knowledge.
    assert "old tech 2" not in _texts(merge.knowledge["train"]) and "Old  Tech 2" in _texts(merge.knowledge["train"])
    assert len(merge.knowledge["train"]) == 12 - 1 + 3
    # replay: the new knowledge plus a class-balanced sample of the old.
    replayed = _texts(merge.training["old_sample"])
    assert len(replayed) == 4 and sum(t.startswith("old sport") for t in replayed) == 2
    assert _texts(merge.training["train"]) == sorted(_texts([b for _, b in new["train"][1:]]) + replayed)
    assert _texts(merge.training["eval_old"]) == ["held sport", "held tech"]
    assert _texts(merge.training["eval_new"]) == ["an opera"]
    assert _texts(merge.training["eval"]) == ["an opera", "held sport", "held tech"]


@pytest.mark.parametrize("strategy, train_size", [("naive", 3), ("ewc", 3), ("lwf", 3), ("replay+lwf", 7),
                                                  ("retrain", 14)])
def test_each_strategy_trains_on_its_examples(strategy, train_size):
    new = {"train": [_ex("old tech 0", "art"), _ex("a painting", "art"), _ex("a sculpture", "art")], "eval": []}
    merge = merge_knowledge(TEXT, new, OLD, ["sport", "tech"], strategy, replay_size=4)
    assert len(merge.training["train"]) == train_size
    assert len(merge.training["old_sample"]) == 4  # what EWC measures its Fisher on, whatever the strategy


def test_a_first_run_is_the_new_knowledge_as_it_is():
    merge = merge_knowledge(TEXT, OLD, None, ["sport", "tech"], "replay", 4)
    assert merge.summary["strategy"] == "first" and merge.new_labels == []
    assert merge.training["train"] == [b for _, b in OLD["train"]] and merge.training["old_sample"] == []


def test_corrections_can_stop_the_update():
    new = {"train": [_ex("old sport 3", "tech")], "eval": []}
    with pytest.raises(DataError, match=r"1 new examples have the text of earlier knowledge with another label "
                                        r"\(first: 'old sport 3': \['sport'\] before, \['tech'\] now\)"):
        merge_knowledge(TEXT, new, OLD, ["sport", "tech"], "replay", 4, corrections="error")
