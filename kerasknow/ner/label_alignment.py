"""Word -> word-piece alignment for token classification, as TensorFlow ops.

Each word (CoNLL token) is tokenised on its own, like Hugging Face's
`tokenizer(words, is_split_into_words=True)`: the first word piece of a word carries the word's
tag and the others get `IGNORE_LABEL` (masked from loss and metrics). A word the tokenizer turns
into no pieces at all (e.g. only control characters) has no first piece: it is not trained on
and is predicted `O`.
"""
from typing import Tuple

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

#: Label of word pieces that are not scored (continuations, [CLS], [SEP], padding).
IGNORE_LABEL = -100


def word_pieces_of_sentences(tokenizer, tokens: tf.RaggedTensor) -> Tuple[tf.RaggedTensor, tf.RaggedTensor]:
    """Tokenises pre-split sentences word by word.

    Args:
        tokenizer: An `InGraphBertTokenizer` (uses `tokenize_with_offsets`).
        tokens: `tf.string` ragged `[batch, (words)]`.

    Returns:
        `(piece_ids, first_piece)`: `piece_ids` int32 ragged `[batch, (pieces)]`, the sentence's
        word pieces without special tokens and untruncated; `first_piece` int64 ragged
        `[batch, (words)]`, the index of each word's first piece within its sentence, or -1 for
        a word with no pieces.

    Example:

    ```python
    ids, first = word_pieces_of_sentences(tok, tf.ragged.constant([["Hello", "worldly"]]))
    first.to_list()  # "worldly" -> "world", "##ly"
    # -> [[0, 1]]
    ```
    """
    words = tokens.flat_values
    word_ids, _, _ = tokenizer.tokenize_with_offsets(words)
    pieces_per_word = word_ids.row_lengths()
    # Offsets of each word's first piece in the flat (all sentences) piece sequence.
    flat_start = tf.cumsum(pieces_per_word, exclusive=True)
    pieces_per_sentence = _sum_per_row(pieces_per_word, tokens)
    piece_ids = tf.RaggedTensor.from_row_lengths(word_ids.flat_values, pieces_per_sentence)
    sentence_start = tf.gather(piece_ids.row_starts(), tokens.value_rowids())
    first = tf.where(pieces_per_word > 0, flat_start - sentence_start, tf.constant(-1, tf.int64))
    return piece_ids, tokens.with_flat_values(first)


def _sum_per_row(values: tf.Tensor, ragged: tf.RaggedTensor) -> tf.Tensor:
    # unsorted_segment_sum keeps empty sentences (segment_sum would drop trailing empty rows).
    return tf.math.unsorted_segment_sum(values, ragged.value_rowids(), ragged.nrows())


def align_labels(piece_ids: tf.RaggedTensor, first_piece: tf.RaggedTensor, word_labels: tf.RaggedTensor) -> tf.RaggedTensor:
    """Word labels -> word-piece labels: the first piece of a word gets its label, others -100.

    Args:
        piece_ids: ragged `[batch, (pieces)]` from `word_pieces_of_sentences`.
        first_piece: ragged `[batch, (words)]` from `word_pieces_of_sentences`.
        word_labels: int ragged `[batch, (words)]`, the label id of each word.

    Returns:
        int32 ragged `[batch, (pieces)]` of label ids and `IGNORE_LABEL`.
    """
    total = tf.shape(piece_ids.flat_values, out_type=tf.int64)[0]
    keep = first_piece.flat_values >= 0
    sentence_start = tf.gather(piece_ids.row_starts(), first_piece.value_rowids())
    positions = tf.boolean_mask(first_piece.flat_values + sentence_start, keep)
    labels = tf.boolean_mask(tf.cast(word_labels.flat_values, tf.int32), keep)
    flat = tf.tensor_scatter_nd_update(tf.fill([total], tf.constant(IGNORE_LABEL, tf.int32)),
                                       positions[:, None], labels)
    return piece_ids.with_flat_values(flat)


def add_special_tokens(tokenizer, piece_ids: tf.RaggedTensor, labels: tf.RaggedTensor = None):
    """Truncates to `tokenizer.max_length - 2` pieces and adds `[CLS]`/`[SEP]` (label -100).

    Args:
        tokenizer: An `InGraphBertTokenizer` (its `max_length`, `cls_id`, `sep_id`).
        piece_ids: ragged `[batch, (pieces)]`.
        labels: Optional ragged labels of the same shape.

    Returns:
        `piece_ids` (and `labels` when given) ragged `[batch, (<= max_length)]`.
    """
    keep = tokenizer.max_length - 2
    batch = piece_ids.nrows()

    def column(value, dtype):
        return tf.RaggedTensor.from_tensor(tf.fill(tf.stack([batch, 1]), tf.cast(value, dtype)))

    def wrap(values, first, last):
        return tf.concat([column(first, values.dtype), values[:, :keep], column(last, values.dtype)], axis=1)

    ids = wrap(piece_ids, tokenizer.cls_id, tokenizer.sep_id)
    if labels is None:
        return ids
    return ids, wrap(labels, IGNORE_LABEL, IGNORE_LABEL)
