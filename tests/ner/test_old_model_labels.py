from kerasknow.ner.old_model_labels import background_types, merge_background


def test_only_old_types_the_new_knowledge_never_tags_are_background():
    old = ["B-person", "I-person", "B-loc", "I-loc", "O"]
    assert background_types(old, [["B-movie", "O"], ["O", "B-loc"]]) == {"person"}
    assert background_types(old, [["B-person"], ["B-loc"]]) == set()


def test_the_old_model_fills_in_background_and_bio_stays_valid():
    new = ["O", "O", "O", "B-movie", "I-movie", "O"]
    old = ["B-person", "I-person", "O", "B-person", "O", "I-person"]
    merged = merge_background(new, old, {"person"})
    # Where the new knowledge tags a new type, it wins; a dangling I- becomes B-.
    assert merged == ["B-person", "I-person", "O", "B-movie", "I-movie", "B-person"]
    assert merge_background(["O", "O"], ["B-loc", "O"], {"person"}) == ["O", "O"]  # loc is annotated anew
    assert merge_background(["O", "O", "O"], ["B-person"], {"person"}) == ["B-person", "O", "O"]  # short old tags
