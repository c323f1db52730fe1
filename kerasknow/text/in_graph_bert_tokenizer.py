"""BERT WordPiece tokenisation as TensorFlow ops, so SavedModels take raw text.

Uses core TensorFlow string ops plus tensorflow_text's `NormalizeUTF8` and
`FastWordpieceTokenizeWithOffsets` ops, which TF Serving's standard build ships with the other
tensorflow_text ops. In Python, `import tensorflow_text` registers the ops before loading an
exported model.
"""
import os

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError, MissingDependencyError

_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
_SUFFIX_INDICATOR = "##"
# Same cap as Hugging Face's WordpieceTokenizer (100 characters; here UTF-8 bytes): longer
# words become [UNK].
_MAX_BYTES_PER_WORD = 100
# Hugging Face's clean_text drops NUL, U+FFFD and "control" characters (category C*, except
# tab, newline and carriage return). RE2 cannot name unassigned code points (Cn), so those
# are kept here (they become [UNK]).
_CONTROL_RE = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\p{Cf}\p{Co}\p{Cs}\x{FFFD}]"
# Hugging Face's tokenize_chinese_chars: CJK Unified Ideographs become words of their own.
_CJK_RE = (
    r"[\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{20000}-\x{2A6DF}\x{2A700}-\x{2B73F}"
    r"\x{2B740}-\x{2B81F}\x{2B820}-\x{2CEAF}\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}]"
)


def _import_tensorflow_text():
    try:
        import tensorflow_text
    except ImportError as e:
        raise MissingDependencyError(
            "In-graph BERT tokenisation needs the `tensorflow-text` package matching "
            f"TensorFlow's version (Received: {e}). Fix: pip install 'tensorflow-text==2.16.*' "
            "(or run `bash tools/setup_env.sh`)."
        ) from e
    return tensorflow_text


def _read_vocab(vocab_path: str) -> list:
    # Same rule as Hugging Face's load_vocab: one token per line, only the newline stripped.
    with open(vocab_path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


class InGraphBertTokenizer(tf.Module):
    """BERT tokeniser whose every step is a TensorFlow op (works in `tf.function`, Serving).

    Matches Hugging Face's `BertTokenizerFast` for uncased and cased WordPiece vocabularies:
    clean-up of control characters, optional lower-casing with accent stripping (NFD), split on
    whitespace and punctuation, greedy longest-match WordPiece, `[CLS] ... [SEP]` and
    truncation of the word pieces to `max_length - 2` (`truncation=True`).

    Hugging Face's normalisation (drop control characters, U+FFFD and invalid UTF-8; space out
    CJK ideographs; if `lower_case`: lower-case, NFD, drop non-spacing marks) runs as TensorFlow
    string ops plus `tensorflow_text.normalize_utf8`; whitespace/punctuation splitting and
    WordPiece as `tensorflow_text.FastWordpieceTokenizer`. `FastBertTokenizer` is not used: its
    normaliser applies NFKC case folding (`…` -> `...`, `ß` -> `ss`, ligatures, full-width
    letters), which Hugging Face does not. See docs/text_tokenization.md for measured parity.

    The vocabulary file is tracked as a `tf.saved_model.Asset`, so a SavedModel holding this
    module carries `assets/vocab.txt` (the tokenizer itself is compiled into the graph).

    Args:
        vocab_path: Path of a WordPiece `vocab.txt` (one token per line; must contain
            `[PAD]`, `[UNK]`, `[CLS]` and `[SEP]`).
        lower_case: Lower-case and strip accents (uncased checkpoints) when True.
        max_length: Longest sequence `tokenize`/`__call__` return, special tokens included;
            at least 3.

    Raises:
        ConfigError: When the vocabulary is missing, unreadable or lacks special tokens, or
            `lower_case`/`max_length` are invalid.
        MissingDependencyError: When tensorflow-text is not installed.

    Example:
    ```python
    tok = InGraphBertTokenizer.from_checkpoint(default_checkpoint_dir(), max_length=16)
    batch = tok(tf.constant(["Hello world!", "A longer sentence here."]))
    batch["input_ids"].shape
    # -> TensorShape([2, 7])
    ```
    """

    def __init__(self, vocab_path: str, lower_case: bool = True, max_length: int = 128):
        super().__init__(name="in_graph_bert_tokenizer")
        if not isinstance(vocab_path, (str, os.PathLike)) or not os.path.isfile(vocab_path):
            raise ConfigError(
                "`vocab_path` must be an existing WordPiece vocab.txt file. "
                f"Received: vocab_path={vocab_path!r}"
            )
        if not isinstance(lower_case, bool):
            raise ConfigError(
                "`lower_case` must be a bool (True for uncased checkpoints). "
                f"Received: lower_case={lower_case!r}"
            )
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 3:
            raise ConfigError(
                "`max_length` must be an int >= 3 ([CLS], one word piece, [SEP]). "
                f"Received: max_length={max_length!r}"
            )
        try:
            vocab = _read_vocab(os.fspath(vocab_path))
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(
                f"Cannot read the vocabulary (Received: vocab_path={vocab_path!r}: {e}). "
                "Fix: pass a UTF-8 vocab.txt."
            ) from e
        index = {}
        for i, token in enumerate(vocab):
            index[token] = i  # the last occurrence wins, as in Hugging Face's load_vocab
        missing = [t for t in _SPECIAL_TOKENS if t not in index]
        if missing:
            raise ConfigError(
                f"The vocabulary lacks the BERT special tokens {missing}. "
                f"Received: vocab_path={vocab_path!r} ({len(vocab)} tokens). "
                "Fix: use the checkpoint's own vocab.txt."
            )
        text = _import_tensorflow_text()
        self._text = text

        self.vocab_path = os.fspath(vocab_path)
        self.vocab_file = tf.saved_model.Asset(self.vocab_path)
        self.lower_case = lower_case
        self.max_length = max_length
        self.vocab_size = len(vocab)
        self.pad_id = index["[PAD]"]
        self.unk_id = index["[UNK]"]
        self.cls_id = index["[CLS]"]
        self.sep_id = index["[SEP]"]
        # The FastWordpiece model needs unique tokens; Hugging Face never produces the earlier
        # ids of a duplicated token either (its vocab dict keeps the last).
        unique_vocab = [t if index[t] == i else f"[kerasknow-duplicate-{i}]"
                        for i, t in enumerate(vocab)]
        # Normalisation is done by _normalize (Hugging Face's rules); FastWordpieceTokenizer
        # then splits on whitespace/punctuation and runs WordPiece, both in one op.
        self._wordpiece = text.FastWordpieceTokenizer(
            vocab=unique_vocab,
            suffix_indicator=_SUFFIX_INDICATOR,
            max_bytes_per_word=_MAX_BYTES_PER_WORD,
            token_out_type=tf.int32,
            unknown_token="[UNK]",
        )
        # 1 where the word piece continues a word ("##ing"), for word_index.
        self._continues_word = tf.constant(
            [1 if t.startswith(_SUFFIX_INDICATOR) and len(t) > len(_SUFFIX_INDICATOR) else 0
             for t in unique_vocab],
            dtype=tf.int32,
        )

    def _normalize(self, texts: tf.Tensor) -> tf.Tensor:
        """Hugging Face's BertNormalizer as string ops (element-wise; works per character)."""
        texts = tf.strings.regex_replace(texts, _CONTROL_RE, "")
        texts = tf.strings.regex_replace(texts, _CJK_RE, r" \0 ")
        if self.lower_case:
            texts = tf.strings.lower(texts, encoding="utf-8")
            texts = self._text.normalize_utf8(texts, "NFD")
            texts = tf.strings.regex_replace(texts, r"\p{Mn}", "")
        return texts

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: str, max_length: int = 128) -> "InGraphBertTokenizer":
        """Builds the tokenizer from a checkpoint directory's `vocab.txt` and settings.

        Args:
            checkpoint_dir: A local BERT checkpoint directory (see `tokenizer_settings`).
            max_length: Longest sequence, special tokens included.

        Returns:
            An `InGraphBertTokenizer`.

        Raises:
            ConfigError: When the directory or its vocab.txt is missing.
        """
        from kerasknow.models.checkpoints import tokenizer_settings

        vocab_path, lower_case = tokenizer_settings(checkpoint_dir)
        return cls(vocab_path, lower_case=lower_case, max_length=max_length)

    @staticmethod
    def _as_text_vector(texts) -> tf.Tensor:
        texts = tf.convert_to_tensor(texts, dtype=tf.string)
        if texts.shape.rank is not None and texts.shape.rank != 1:
            raise ConfigError(
                "`texts` must be a string vector of shape [batch]. "
                f"Received: texts with shape {texts.shape}. Fix: reshape to [-1] "
                "(wrap a single string in a list)."
            )
        return texts

    @staticmethod
    def _valid_utf8(texts: tf.Tensor) -> tf.Tensor:
        # Invalid bytes become U+FFFD, which _normalize drops (as Hugging Face does after
        # Python's errors="replace" decoding).
        return tf.strings.unicode_transcode(
            texts, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD
        )

    def tokenize(self, texts) -> tf.RaggedTensor:
        """Word-piece ids per text with `[CLS]`/`[SEP]`, truncated to `max_length`.

        Args:
            texts: `tf.string` vector `[batch]` of raw UTF-8 texts (or a list of str).

        Returns:
            `tf.RaggedTensor` int32 `[batch, (length)]`, `length <= max_length`. When a text
            is too long its word pieces are cut; `[SEP]` is kept (Hugging Face's
            `truncation=True`).

        Raises:
            ConfigError: When `texts` is not rank 1.
        """
        texts = self._as_text_vector(texts)
        pieces = self._wordpiece.tokenize(self._normalize(self._valid_utf8(texts)))
        pieces = pieces[:, : self.max_length - 2]
        ones = tf.ones_like(texts, dtype=tf.int32)[:, tf.newaxis]
        cls = tf.RaggedTensor.from_tensor(ones * self.cls_id)
        sep = tf.RaggedTensor.from_tensor(ones * self.sep_id)
        return tf.concat([cls, pieces, sep], axis=1)

    def __call__(self, texts) -> dict:
        """Dense BERT inputs padded to the longest text in the batch.

        Args:
            texts: `tf.string` vector `[batch]` of raw UTF-8 texts (or a list of str).

        Returns:
            Dict of int32 `[batch, L]` tensors `input_ids`, `attention_mask` (1 on tokens,
            0 on padding) and `token_type_ids` (all 0), where `L` is the longest tokenised
            text in the batch (`<= max_length`) and padding uses `pad_id`.

        Raises:
            ConfigError: When `texts` is not rank 1.
        """
        ids = self.tokenize(texts)
        input_ids = ids.to_tensor(default_value=self.pad_id)
        attention_mask = tf.ones_like(ids).to_tensor(default_value=0)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": tf.zeros_like(input_ids),
        }

    def tokenize_with_offsets(self, texts):
        """Word pieces without special tokens, with byte offsets into the raw input.

        Normalises character by character so that every word piece maps back to the
        original characters it came from. The ids equal `tokenize`'s (minus `[CLS]`/`[SEP]`,
        before truncation) except for a Greek capital sigma at the end of a word, which
        `tokenize` lower-cases to final sigma and this method to medial sigma. Not truncated:
        callers that align labels (NER) decide how to cut.

        Args:
            texts: `tf.string` vector `[batch]` of raw UTF-8 texts (or a list of str).

        Returns:
            `(ids, starts, ends)`: ragged `[batch, (pieces)]` tensors; `ids` int32 word-piece
            ids, `starts`/`ends` int64 **UTF-8 byte** offsets into the original text (before
            any normalisation), so `text_bytes[start:end]` is the piece's source. A piece
            always covers whole characters (an accented letter keeps all its bytes).

        Raises:
            ConfigError: When `texts` is not rank 1.
        """
        texts = self._as_text_vector(texts)
        chars, char_starts = tf.strings.unicode_split_with_offsets(
            texts, "UTF-8", errors="replace", replacement_char=0xFFFD
        )
        char_starts = tf.cast(char_starts, tf.int64)
        # A character ends where the next starts (or at the end of its text); byte lengths of
        # the split strings would be wrong for invalid bytes, which were replaced.
        flat_starts = char_starts.flat_values
        next_starts = tf.concat([flat_starts[1:], tf.zeros([1], tf.int64)], 0)[
            : tf.shape(flat_starts)[0]
        ]
        lengths = char_starts.row_lengths()
        nonempty = tf.where(lengths > 0)[:, 0]
        last_positions = tf.gather(char_starts.row_splits[1:] - 1, nonempty)
        text_ends = tf.gather(tf.cast(tf.strings.length(texts), tf.int64), nonempty)
        flat_ends = tf.tensor_scatter_nd_update(
            next_starts, last_positions[:, tf.newaxis], text_ends
        )

        normalized = chars.with_flat_values(self._normalize(chars.flat_values))
        norm_lengths = tf.cast(tf.strings.length(normalized.flat_values), tf.int64)
        running = tf.cumsum(norm_lengths, exclusive=True)
        row_base = tf.gather(tf.concat([running, tf.zeros([1], tf.int64)], 0),
                             char_starts.row_splits[:-1])
        norm_starts = normalized.with_flat_values(running - tf.repeat(row_base, lengths))
        joined = tf.strings.reduce_join(normalized, axis=1)

        ids, piece_starts, piece_ends = self._wordpiece.tokenize_with_offsets(joined)
        piece_starts = tf.cast(piece_starts, tf.int64)
        piece_ends = tf.cast(piece_ends, tf.int64)
        # Which original character holds a normalised byte: the last one starting at or
        # before it (removed characters have empty text and share the next one's start).
        big = tf.constant(tf.int64.max, tf.int64)
        sorted_starts = norm_starts.to_tensor(default_value=big)
        first_char = tf.searchsorted(sorted_starts, piece_starts.to_tensor(), side="right") - 1
        last_char = tf.searchsorted(sorted_starts, piece_ends.to_tensor() - 1, side="right") - 1
        # One spare column so gathers stay in range for batches of empty texts.
        spare = tf.zeros_like(texts, dtype=tf.int64)[:, tf.newaxis]
        orig_starts = tf.concat([char_starts.to_tensor(), spare], 1)
        orig_ends = tf.concat([char_starts.with_flat_values(flat_ends).to_tensor(), spare], 1)
        starts = tf.gather(orig_starts, tf.maximum(first_char, 0), batch_dims=1)
        ends = tf.gather(orig_ends, tf.maximum(last_char, 0), batch_dims=1)
        piece_lengths = ids.row_lengths()
        return (
            ids,
            tf.RaggedTensor.from_tensor(starts, lengths=piece_lengths),
            tf.RaggedTensor.from_tensor(ends, lengths=piece_lengths),
        )

    def word_index(self, ids: tf.RaggedTensor) -> tf.RaggedTensor:
        """Which word each word piece belongs to (like Hugging Face's `word_ids()`).

        Words are BERT's pre-tokens: runs split on whitespace and punctuation (each
        punctuation character is its own word). A piece starts a new word unless its vocab
        entry starts with `##`.

        Args:
            ids: Ragged word-piece ids WITHOUT special tokens, e.g. from
                `tokenize_with_offsets`.

        Returns:
            Ragged int32 `[batch, (pieces)]`: 0-based word number within each text.
        """
        flat = tf.cast(ids.flat_values, tf.int32)
        starts_word = 1 - tf.gather(self._continues_word, flat)
        running = tf.cumsum(starts_word)
        before_row = tf.gather(tf.concat([[0], running], 0), ids.row_splits[:-1])
        per_piece_base = tf.repeat(before_row, ids.row_lengths())
        return ids.with_flat_values(running - per_piece_base - 1)
