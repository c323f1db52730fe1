import pytest
import tensorflow as tf

from kerasknow.data.example_codec import encode_features
from kerasknow.errors import ConfigError, DataError
from kerasknow.models.checkpoints import default_checkpoint_dir
from kerasknow.ner.label_alignment import IGNORE_LABEL
from kerasknow.ner.ner_input_pipeline import make_ner_dataset
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

LABELS = ["B-person", "I-person", "O"]
SENTENCES = [
    (["John", "Smithson", "smiled"], ["B-person", "I-person", "O"]),
    (["ok"], ["O"]),
    (["Ann", "met", "Bob", "at", "the", "unbelievable", "party"], ["B-person", "O", "B-person", "O", "O", "O", "O"]),
]


@pytest.fixture(scope="module")
def tokenizer():
    return InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=8)


@pytest.fixture()
def records(tmp_path):
    path = str(tmp_path / "Split-train" / "data.gz")
    tf.io.gfile.makedirs(str(tmp_path / "Split-train"))
    with tf.io.TFRecordWriter(path, options="GZIP") as w:
        for tokens, tags in SENTENCES:
            w.write(encode_features({"tokens": tokens, "tags": tags}).SerializeToString())
    return str(tmp_path / "Split-train" / "*")


def test_batches_are_aligned_and_dynamically_padded(records, tokenizer):
    ds = make_ner_dataset([records], tokenizer, LABELS, batch_size=2, training=False)
    batches = list(ds)
    assert len(batches) == 2
    x, y = batches[0]
    # "smithson" -> smith ##son: the longest of the batch is 1 + 4 + 1 pieces.
    assert x["input_ids"].shape == (2, 6) and y.shape == (2, 6)
    assert y.numpy().tolist() == [[IGNORE_LABEL, 0, 1, IGNORE_LABEL, 2, IGNORE_LABEL],
                                  [IGNORE_LABEL, 2, IGNORE_LABEL, IGNORE_LABEL, IGNORE_LABEL, IGNORE_LABEL]]
    assert x["attention_mask"].numpy().tolist() == [[1] * 6, [1, 1, 1, 0, 0, 0]]
    assert x["input_ids"][1, 3:].numpy().tolist() == [tokenizer.pad_id] * 3
    assert not x["token_type_ids"].numpy().any()
    x, y = batches[1]
    # Truncated to max_length=8 with [SEP] kept.
    assert x["input_ids"].shape == (1, 8)
    assert x["input_ids"][0, -1] == tokenizer.sep_id
    assert y.numpy().tolist() == [[IGNORE_LABEL, 0, 2, 0, 2, 2, 2, IGNORE_LABEL]]


def test_training_shuffles_and_max_examples(records, tokenizer):
    def first_words(ds):
        return [int(x["input_ids"][0, 1]) for x, _ in ds]

    in_order = first_words(make_ner_dataset([records], tokenizer, LABELS, 1, training=False))
    shuffled = first_words(make_ner_dataset([records], tokenizer, LABELS, 1, training=True, seed=3))
    assert sorted(shuffled) == sorted(in_order) and len(in_order) == 3
    assert first_words(make_ner_dataset([records], tokenizer, LABELS, 1, training=False, max_examples=2)) == in_order[::2]


def test_bad_arguments(records, tokenizer):
    with pytest.raises(ConfigError, match="at least one TFRecord file"):
        make_ner_dataset([], tokenizer, LABELS, 2, False)
    with pytest.raises(ConfigError, match="needs the tag vocabulary"):
        make_ner_dataset([records], tokenizer, [], 2, False)
    with pytest.raises(ConfigError, match="batch_size must be a positive int"):
        make_ner_dataset([records], tokenizer, LABELS, 0, False)
    with pytest.raises(DataError, match="No TFRecord files match"):
        make_ner_dataset(["/nonexistent/*.gz"], tokenizer, LABELS, 2, False)
