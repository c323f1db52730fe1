"""format_predictions: classification, NER and fallback layouts."""
import numpy as np
import pytest

from kerasknow.serving.formatting import format_predictions


def test_classification_with_label_per_row_and_class_ids():
    outputs = {
        "labels": np.array([b"sport", b"tech"], dtype=object),
        "class_ids": np.array([3, 4]),
        "probabilities": np.array([[0.0, 0.0, 0.05, 0.93, 0.02], [0.1, 0.1, 0.1, 0.1, 0.6]], dtype=np.float32),
    }
    text = format_predictions(outputs, ["Goal in the final minute", "New phone released"])
    assert text.splitlines() == [
        "Goal in the final minute -> sport (p=0.93)",
        "New phone released -> tech (p=0.60)",
    ]


def test_classification_picks_the_probability_of_the_chosen_class():
    # class_ids wins over the row maximum (e.g. a thresholded binary model).
    outputs = {"labels": ["neg"], "class_ids": [0], "probabilities": [[0.45, 0.55]]}
    assert format_predictions(outputs, ["meh"]) == "meh -> neg (p=0.45)"


def test_classification_with_label_vocabulary_per_row():
    outputs = {
        "labels": np.array([[b"a", b"b", b"c"]] * 2, dtype=object),
        "probabilities": np.array([[0.2, 0.7, 0.1], [0.5, 0.2, 0.3]]),
    }
    assert format_predictions(outputs, ["x", "y"]).splitlines() == ["x -> b (p=0.70)", "y -> a (p=0.50)"]


def test_classification_without_labels_and_binary_probability():
    assert format_predictions({"probabilities": np.array([[0.1, 0.9]])}, ["t"]) == "t -> 1 (p=0.90)"
    assert format_predictions({"labels": ["spam"], "probabilities": [0.81]}, ["buy now"]) == "buy now -> spam (p=0.81)"


def test_long_texts_are_shortened_and_whitespace_collapsed():
    text = "word\n\t" * 40
    line = format_predictions({"labels": ["x"], "probabilities": [[1.0]]}, [text])
    shown = line.split(" -> ")[0]
    assert len(shown) == 80 and shown.endswith("...") and "\n" not in shown
    assert shown.startswith("word word word")


def test_ner_with_entity_counts():
    outputs = {
        "entity_types": np.array([[b"PER", b"LOC", b""], [b"", b"", b""]], dtype=object),
        "entity_starts": np.array([[0, 14, 0], [0, 0, 0]]),
        "entity_ends": np.array([[4, 20, 0], [0, 0, 0]]),
        "entity_texts": np.array([[b"John", b"London", b""], [b"", b"", b""]], dtype=object),
        "entity_scores": np.array([[0.981, 0.87, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32),
        "entity_counts": np.array([2, 0]),
    }
    text = format_predictions(outputs, ["John moved to London", "nothing here"])
    assert text.splitlines() == [
        "John moved to London",
        "  [PER] 'John' 0-4 (0.98)",
        "  [LOC] 'London' 14-20 (0.87)",
        "nothing here",
        "  (no entities)",
    ]


def test_ner_with_padding_and_no_texts_slices_character_offsets():
    sentence = "Zoë met Anna"
    start = len("Zoë met ")  # 8 characters, 9 UTF-8 bytes
    outputs = {
        "entity_types": np.array([["PER", "", "PER"]], dtype=object),
        "entity_starts": np.array([[0, 0, start]]),
        "entity_ends": np.array([[3, 0, start + 4]]),
    }
    assert format_predictions(outputs, [sentence]).splitlines() == [
        "Zoë met Anna",
        "  [PER] 'Zoë' 0-3",
        f"  [PER] 'Anna' {start}-{start + 4}",
    ]


def test_unknown_outputs_fall_back_to_name_value_lines():
    outputs = {
        "num_bytes": np.array([3, 5], dtype=np.int32),
        "embedding": np.array([[0.5, 0.25], [1.0, 2.0]]),
        "tags": np.array([[b"B-PER", b"O"], [b"O", b"O"]], dtype=object),
    }
    assert format_predictions(outputs, ["a.png", "b.png"]).splitlines() == [
        "a.png",
        "  embedding: [0.5, 0.25]",
        "  num_bytes: 3",
        "  tags: ['B-PER', 'O']",
        "b.png",
        "  embedding: [1, 2]",
        "  num_bytes: 5",
        "  tags: ['O', 'O']",
    ]


def test_batch_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match=r"Output 'labels' has 2 rows but 1 inputs were given"):
        format_predictions({"labels": ["a", "b"], "probabilities": [[1.0], [1.0]]}, ["only one"])
