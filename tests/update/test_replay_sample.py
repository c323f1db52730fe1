from kerasknow.update.replay_sample import replay_sample


def _classes(item):
    return item["classes"]


def _key(item):
    return item["key"]


def test_the_sample_is_class_balanced_and_deterministic():
    items = [{"key": f"a{i}", "classes": ["a"]} for i in range(50)] + \
            [{"key": f"b{i}", "classes": ["b"]} for i in range(10)] + [{"key": "c0", "classes": ["c"]}]
    sample = replay_sample(items, 13, _classes, _key, seed=1)
    counts = {c: sum(1 for s in sample if s["classes"] == [c]) for c in "abc"}
    assert counts == {"a": 6, "b": 6, "c": 1}  # the rare class whole, the others in turn
    assert sample == replay_sample(list(reversed(items)), 13, _classes, _key, seed=1)
    assert sample != replay_sample(items, 13, _classes, _key, seed=2)


def test_a_class_keeps_its_choice_when_other_knowledge_is_added():
    items = [{"key": f"a{i}", "classes": ["a"]} for i in range(20)] + [{"key": f"b{i}", "classes": ["b"]}
                                                                        for i in range(20)]
    before = {s["key"] for s in replay_sample(items, 10, _classes, _key) if s["key"].startswith("a")}
    grown = items + [{"key": f"a{i}", "classes": ["a"]} for i in range(20, 25)]
    after = {s["key"] for s in replay_sample(grown, 10, _classes, _key) if s["key"].startswith("a")}
    assert len(before & after) >= 3  # hash order: new items only insert, they do not reshuffle


def test_sentences_count_for_their_rarest_type_and_sizes_are_capped():
    items = [{"key": f"p{i}", "classes": ["person"]} for i in range(30)] + \
            [{"key": "pm", "classes": ["person", "movie"]}, {"key": "m", "classes": ["movie"]}]
    sample = replay_sample(items, 4, _classes, _key)
    assert {"pm", "m"} <= {s["key"] for s in sample}
    assert replay_sample(items, 0, _classes, _key) == []
    assert len(replay_sample(items, 1000, _classes, _key)) == len(items)
