import numpy as np
import pytest
import tensorflow as tf
import tensorflow_text  # noqa: F401  (registers the tokenizer ops before loading)
from transformers import BertTokenizerFast

from kerasknow.data.example_codec import encode_features
from kerasknow.errors import ConfigError
from kerasknow.models.checkpoints import default_checkpoint_dir
from kerasknow.ner.label_alignment import add_special_tokens, word_pieces_of_sentences
from kerasknow.ner.ner_export import NerExportModule, export_ner_model
from kerasknow.ner.token_classifier import build_token_classifier
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

LABELS = ["B-loc", "B-person", "I-loc", "I-person", "O"]
# First word piece -> tag of a rule-based "model"; every other piece says O.
RULES = {"new": "B-loc", "york": "I-loc", "zurich": "B-loc", "jose": "B-person", "muller": "I-person",
         "elan": "I-person"}
LOGIT = 8.0


def _rule_model(vocab_size):
    hf = BertTokenizerFast.from_pretrained(default_checkpoint_dir())
    table = np.zeros((vocab_size, len(LABELS)), "float32")
    table[:, LABELS.index("O")] = LOGIT
    for word, tag in RULES.items():
        piece = hf.convert_tokens_to_ids(hf.tokenize(word))[0]
        table[piece] = 0.0
        table[piece, LABELS.index(tag)] = LOGIT
    inputs = {n: tf.keras.Input((None,), dtype=tf.int32, name=n) for n in ("input_ids", "attention_mask", "token_type_ids")}
    logits = tf.keras.layers.Embedding(vocab_size, len(LABELS), embeddings_initializer=tf.constant_initializer(table),
                                       trainable=False)(inputs["input_ids"])
    return tf.keras.Model(inputs, logits)


@pytest.fixture(scope="module")
def rule_export(tmp_path_factory):
    tokenizer = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=24)
    path = str(tmp_path_factory.mktemp("ner_export") / "1")
    export_ner_model(_rule_model(tokenizer.vocab_size), path, tokenizer, LABELS)
    return tf.saved_model.load(path)


def _entities(out, i):
    n = int(out["entity_counts"][i])
    return [(out["entity_types"][i, j].numpy().decode(), int(out["entity_starts"][i, j]),
             int(out["entity_ends"][i, j]), out["entity_texts"][i, j].numpy().decode()) for j in range(n)]


def test_raw_text_entities_with_character_offsets(rule_export):
    texts = ["In New York, José Müller-Élan met (Zürichberg!) friends.", "nothing here", "",
             "zurich"]
    out = rule_export.signatures["serving_default"](texts=tf.constant(texts))
    assert set(out) == {"entity_types", "entity_starts", "entity_ends", "entity_texts", "entity_scores", "entity_counts"}
    assert out["entity_counts"].numpy().tolist() == [4, 0, 0, 1]
    first = _entities(out, 0)
    # "-" is a word of its own (O), so "Élan" (I-person after O) begins a new person entity, as
    # conlleval chunks it; the multi-piece word "Zürichberg" is covered whole, "(" and "!" are not.
    assert [(t, s) for t, _, _, s in first] == [("loc", "New York"), ("person", "José Müller"),
                                                 ("person", "Élan"), ("loc", "Zürichberg")]
    for i, text in enumerate(texts):
        for _, start, end, surface in _entities(out, i):
            assert text[start:end] == surface
    # Character, not byte, offsets: everything after "é"/"ü" would shift in bytes.
    assert first[3][1] == texts[0].index("Zürichberg")
    assert len(texts[0][: first[3][1]].encode("utf-8")) > first[3][1]
    expected_score = np.exp(LOGIT) / (np.exp(LOGIT) + len(LABELS) - 1)
    assert out["entity_scores"][0, :4].numpy() == pytest.approx([expected_score] * 4, rel=1e-5)
    # Padding.
    assert out["entity_types"][1].numpy().tolist() == [b""] * 4
    assert out["entity_starts"][1].numpy().tolist() == [-1] * 4
    assert out["entity_scores"][2].numpy().tolist() == [0.0] * 4


@pytest.mark.parametrize("texts", [["nothing here", "or here"], [""], []])
def test_batches_without_any_entity(rule_export, texts):
    # A batch with no entity at all (a common case in production) returns empty rows, not an error.
    out = rule_export.signatures["serving_default"](texts=tf.constant(texts, tf.string))
    assert out["entity_counts"].numpy().tolist() == [0] * len(texts)
    assert out["entity_types"].shape[0] == len(texts) and out["entity_starts"].shape[0] == len(texts)


def test_text_beyond_max_length_is_not_tagged(rule_export):
    text = " ".join(["word"] * 30) + " Zürich"
    out = rule_export.signatures["serving_default"](texts=tf.constant([text, "Zürich"]))
    assert out["entity_counts"].numpy().tolist() == [0, 1]


def test_examples_signature_tags_every_token(rule_export):
    tokens = [["New", "York", "\x00", "zürich", "-", "x"], [], ["word"] * 30 + ["Zürich"]]
    examples = tf.constant([encode_features({"tokens": t}).SerializeToString() for t in tokens])
    out = rule_export.signatures["serving_examples"](examples=examples)
    assert out["token_counts"].numpy().tolist() == [6, 0, 31]
    assert [t.decode() for t in out["tags"][0, :6].numpy()] == ["B-loc", "I-loc", "O", "B-loc", "O", "O"]
    scores = out["tag_scores"].numpy()
    assert scores[0, 2] == 0.0 and scores[0, 0] > 0.99  # the control character has no word piece
    # Tokens cut off by max_length=24 are tagged O with score 0.
    assert [t.decode() for t in out["tags"][2, :31].numpy()] == ["O"] * 31
    assert scores[2, 22:31].tolist() == [0.0] * 9 and scores[2, 21] > 0.99  # 24 - [CLS] - [SEP] kept


def test_export_of_a_tiny_bert_matches_the_keras_model(tiny_bert_dir, tmp_path):
    tokenizer = InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=32)
    model = build_token_classifier(tiny_bert_dir, len(LABELS), seed=1)
    path = export_ner_model(model, str(tmp_path / "1"), tokenizer, LABELS)
    loaded = tf.saved_model.load(path)
    sentences = [["Anna", "lives", "in", "Zürich", "."], ["café", "crème", "!"]]
    out = loaded.signatures["serving_examples"](
        examples=tf.constant([encode_features({"tokens": s}).SerializeToString() for s in sentences]))
    ids, first = word_pieces_of_sentences(tokenizer, tf.ragged.constant(sentences))
    padded = add_special_tokens(tokenizer, ids)
    logits = model({"input_ids": padded.to_tensor(), "attention_mask": tf.ones_like(padded).to_tensor(),
                    "token_type_ids": tf.zeros_like(padded.to_tensor())}).numpy()
    for i, sentence in enumerate(sentences):
        expected = [LABELS[int(np.argmax(logits[i, f + 1]))] for f in first[i].numpy()]
        assert [t.decode() for t in out["tags"][i, :len(sentence)].numpy()] == expected
    text = "Anna lives in Zürich, near the café."
    raw = loaded.signatures["serving_default"](texts=tf.constant([text]))
    for _, start, end, surface in _entities(raw, 0):
        assert text[start:end] == surface and surface.strip() == surface


def test_labels_must_be_bio():
    with pytest.raises(ConfigError, match="labels must be BIO tags"):
        NerExportModule(None, None, ["PER", "O"])
    with pytest.raises(ConfigError, match="labels must be BIO tags"):
        NerExportModule(None, None, [])
