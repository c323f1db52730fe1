"""make_text_dataset: GZIP tf.Examples -> bucketed, dynamically padded BERT batches."""
import random

import numpy as np
import pytest
import tensorflow as tf

from kerasknow.data.example_codec import encode_features
from kerasknow.errors import ConfigError, DataError
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer
from kerasknow.text.text_input_pipeline import default_bucket_boundaries, make_text_dataset

LABELS = ["short", "long"]
MAX_LENGTH = 64
_WORDS = ["apple", "river", "stone", "music", "cloud", "green", "table", "light", "house", "paper"]


def _write_records(path, rows):
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(str(path), options=options) as writer:
        for text, label in rows:
            writer.write(encode_features({"text": text, "label": label}).SerializeToString())


def _rows(n, seed=0):
    """Texts of 1 to 30 words (one in ten of 90, cut at MAX_LENGTH), each numbered so every
    example can be recognised."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = 90 if i % 10 == 9 else rng.randint(1, 30)
        label = "long" if words > 20 else "short"
        rows.append((f"{i} " + " ".join(rng.choice(_WORDS) for _ in range(words)), label))
    return rows


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_dir):
    return InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=MAX_LENGTH)


@pytest.fixture()
def split_dir(tmp_path):
    rows = _rows(150)
    _write_records(tmp_path / "part-0.gz", rows[:70])
    _write_records(tmp_path / "part-1.gz", rows[70:])
    return tmp_path, rows


def _first_token(batch_ids, tokenizer):
    """Decodes each row's number (the word piece right after [CLS]) via the vocabulary."""
    with open(tokenizer.vocab_path, encoding="utf-8") as f:
        vocab = [line.rstrip("\n") for line in f]
    return [vocab[row[1]] for row in batch_ids]


def test_every_example_once_per_epoch_with_matching_label_ids(split_dir, tokenizer):
    directory, rows = split_dir
    ds = make_text_dataset(str(directory / "*.gz"), tokenizer, LABELS, batch_size=8, training=True)
    for _ in range(2):  # two passes: the cache and the reshuffle must not lose or repeat any
        seen = []
        for features, label_ids in ds:
            numbers = _first_token(features["input_ids"].numpy(), tokenizer)
            seen.extend(zip(numbers, label_ids.numpy().tolist()))
        assert sorted(int(n) for n, _ in seen) == list(range(len(rows)))
        for number, label_id in seen:
            assert LABELS[label_id] == rows[int(number)][1]


def test_batches_are_dynamic_and_pad_less_than_max_length(split_dir, tokenizer):
    directory, rows = split_dir
    ds = make_text_dataset(str(directory), tokenizer, LABELS, batch_size=8, training=False)
    assert ds.element_spec[0]["input_ids"].shape.as_list() == [None, None]
    widths, real_tokens, padded_tokens = set(), 0, 0
    for features, label_ids in ds:
        ids, mask = features["input_ids"].numpy(), features["attention_mask"].numpy()
        assert ids.dtype == np.int32 and ids.shape == mask.shape == features["token_type_ids"].shape
        assert ids.shape[0] == label_ids.shape[0]
        # The mask marks exactly the non-pad tokens, and each batch is as wide as its longest row.
        assert ((ids != tokenizer.pad_id) == (mask == 1)).all()
        assert mask.sum(axis=1).max() == ids.shape[1]
        widths.add(ids.shape[1])
        real_tokens += int(mask.sum())
        padded_tokens += ids.size
    assert len(widths) > 3
    # Bucketing keeps padding well below padding every text to max_length.
    assert padded_tokens < 0.5 * len(rows) * MAX_LENGTH
    assert padded_tokens < 1.3 * real_tokens


def test_pad_to_bucket_boundary_gives_bucket_widths(split_dir, tokenizer):
    directory, _ = split_dir
    bounds = [16, 32]
    ds = make_text_dataset(str(directory), tokenizer, LABELS, batch_size=8, training=False,
                           bucket_boundaries=bounds, pad_to_bucket_boundary=True)
    widths = {features["input_ids"].shape[1] for features, _ in ds}
    assert widths <= {16, 32, MAX_LENGTH} and len(widths) >= 2


def test_no_bucketing_keeps_file_order_and_max_examples_spans_both_files(split_dir, tokenizer):
    directory, rows = split_dir
    ds = make_text_dataset([str(directory / "part-0.gz"), str(directory / "part-1.gz")], tokenizer,
                           LABELS, batch_size=16, training=False, bucket_boundaries=[], max_examples=40)
    numbers = [int(n) for features, _ in ds
               for n in _first_token(features["input_ids"].numpy(), tokenizer)]
    assert numbers == list(range(0, len(rows), 4))  # every 4th of 150: 38 rows, part-1's included


def test_training_shuffle_is_seeded(split_dir, tokenizer):
    directory, _ = split_dir

    def order(seed):
        ds = make_text_dataset(str(directory), tokenizer, LABELS, batch_size=8, training=True, seed=seed)
        return [n for features, _ in ds for n in _first_token(features["input_ids"].numpy(), tokenizer)]

    assert order(1) == order(1)
    assert order(1) != order(2)


def test_unknown_label_fails_clearly(tmp_path, tokenizer):
    _write_records(tmp_path / "bad.gz", [("one two", "short"), ("three", "medium")])
    ds = make_text_dataset(str(tmp_path), tokenizer, LABELS, batch_size=4, training=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"not in labels=\[short, long\].*Received labels:\] \[medium\]"):
        for _ in ds:
            pass


def test_default_bucket_boundaries_end_at_max_length():
    assert default_bucket_boundaries(128) == [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128]
    assert default_bucket_boundaries(20) == [8, 16, 20]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ConfigError, "`batch_size` must be an int >= 1. Received: batch_size=0"),
        ({"labels": []}, ConfigError, "labels` must be a non-empty list"),
        ({"labels": ["a", "a"]}, ConfigError, "duplicates: \\['a'\\]"),
        ({"bucket_boundaries": [32, 16]}, ConfigError, "strictly increasing"),
        ({"max_examples": -1}, ConfigError, "max_examples"),
        ({"file_pattern": "/nonexistent/*.gz"}, DataError, "No TFRecord files match"),
        ({"tokenizer": object()}, ConfigError, "must be an InGraphBertTokenizer"),
    ],
)
def test_bad_arguments_raise(split_dir, tokenizer, kwargs, error, match):
    directory, _ = split_dir
    args = {"file_pattern": str(directory), "tokenizer": tokenizer, "labels": LABELS,
            "batch_size": 8, "training": True}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        make_text_dataset(**args)


def test_xla_bucket_boundaries_are_three_widths_at_most():
    from kerasknow.text.text_input_pipeline import xla_bucket_boundaries

    assert xla_bucket_boundaries(128) == [32, 64, 128]
    assert xla_bucket_boundaries(512) == [32, 64, 512]
    assert xla_bucket_boundaries(48) == [32, 48]
    assert xla_bucket_boundaries(16) == [16]
