"""The Tuner's validation split: carved from train by content, stable, never the eval split."""
import pytest
import tensorflow as tf

from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.data.split import assign_split
from kerasknow.data.validation_carve import validation_carve
from kerasknow.data.write_examples import split_file, write_examples


def _texts(path):
    return [decode_example(raw)["text"][0].decode() for raw in
            tf.data.TFRecordDataset([path], compression_type="GZIP").as_numpy_iterator()]


def _key(raw):
    return decode_example(raw)["text"][0].decode()


@pytest.fixture()
def examples(tmp_path):
    # The train/eval split as KnowledgeExampleGen makes it: by the hash of each record's key.
    texts = [f"text number {i}" for i in range(200)]
    pairs = [(assign_split(t, 0.2), encode_features({"text": t, "label": "a"}).SerializeToString()) for t in texts]
    write_examples(str(tmp_path / "examples"), pairs)
    return tmp_path / "examples"


def test_the_validation_split_is_carved_from_train_only_and_never_overlaps_eval(examples, tmp_path):
    train_file = split_file(str(examples), "train")
    counts = validation_carve([train_file], str(tmp_path / "carve"), 0.25, _key)
    train, validation = _texts(split_file(str(tmp_path / "carve"), "train")), _texts(
        split_file(str(tmp_path / "carve"), "validation"))
    evaluation = _texts(split_file(str(examples), "eval"))
    assert counts == {"train": len(train), "validation": len(validation)}
    assert sorted(train + validation) == sorted(_texts(train_file))
    assert evaluation and not set(validation) & set(evaluation) and not set(train) & set(evaluation)
    # About the fraction asked for (a hash, not a count).
    assert 0.15 < len(validation) / (len(train) + len(validation)) < 0.35


def test_the_carve_depends_on_content_only(examples, tmp_path):
    train_file = split_file(str(examples), "train")
    validation_carve([train_file], str(tmp_path / "a"), 0.25, _key)
    # The same examples in another order (another run, more knowledge added) carve the same way.
    raws = list(tf.data.TFRecordDataset([train_file], compression_type="GZIP").as_numpy_iterator())
    write_examples(str(tmp_path / "reversed"), [("train", raw) for raw in reversed(raws)], splits=("train",))
    validation_carve([split_file(str(tmp_path / "reversed"), "train")], str(tmp_path / "b"), 0.25, _key)
    first, second = (_texts(split_file(str(tmp_path / d), "validation")) for d in ("a", "b"))
    assert first and sorted(first) == sorted(second)


def test_a_carve_that_leaves_a_side_empty_says_which_setting_fixes_it(tmp_path):
    write_examples(str(tmp_path / "one"), [("train", encode_features({"text": "alone", "label": "a"})
                                             .SerializeToString())], splits=("train",))
    with pytest.raises(ValueError, match=r"--tuner-validation-fraction / tuning.validation_fraction=0.2 left a side "
                                         r"empty: expected examples on both, received train=\d, validation=\d"):
        validation_carve([split_file(str(tmp_path / "one"), "train")], str(tmp_path / "carve"), 0.2, _key)
