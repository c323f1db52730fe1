"""SavedModel export of a BERT token classifier: raw text in, entities with character offsets out.

Signatures (output names shared with `serving/formatting.py`'s `NER_OUTPUTS`):

- `serving_default`: input `texts` (tf.string `[batch]`, raw UTF-8 text). Outputs, padded per
  row to the batch's largest entity count:
  `entity_types` (tf.string `[batch, E]`, type without `B-`/`I-`, padding `""`),
  `entity_starts` / `entity_ends` (int32 `[batch, E]`, **character** (Unicode code point)
  offsets into the input, end exclusive, so `text[start:end]` in Python is the entity; padding -1),
  `entity_texts` (tf.string `[batch, E]`, the surface text, padding `""`),
  `entity_scores` (float32 `[batch, E]`, mean over the entity's words of the predicted tag's
  softmax probability at the word's first piece; padding 0) and
  `entity_counts` (int32 `[batch]`).
- `serving_examples`: input `examples` (serialised `tf.train.Example`s with a `tokens` bytes
  list). Outputs `tags` (tf.string `[batch, N]`, one predicted tag per token, padding `""`),
  `tag_scores` (float32 `[batch, N]`, the tag's probability; 0 for padding and for tokens that
  were cut off or have no word piece, which are tagged `O`) and `token_counts` (int32 `[batch]`).

Both tokenise in the graph (tensorflow_text ops that TF Serving ships). For raw text, words are
BERT's pre-tokens (runs split on whitespace and punctuation, as CoNLL corpora tokenise); a word's
tag is the prediction at its first word piece, and entities are chunked from word tags with the
same conlleval rules as the metrics, so entity spans always cover whole words. Text beyond
`max_length - 2` word pieces is not tagged.
"""
from typing import Sequence

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.ner.bio import is_valid_tag, split_tag
from kerasknow.ner.label_alignment import add_special_tokens, word_pieces_of_sentences

_OUTSIDE, _BEGIN, _INSIDE = 0, 1, 2


class NerExportModule(tf.Module):
    """The `tf.Module` a NER SavedModel is made of (see the module docstring for signatures).

    Args:
        model: The trained token classifier (`build_token_classifier`): dict of int32 inputs ->
            logits `[batch, length, num_labels]`.
        tokenizer: The `InGraphBertTokenizer` used in training (its `max_length` applies).
        labels: The tag vocabulary in label-id order (`O`, `B-<type>`, `I-<type>`).

    Raises:
        ConfigError: When `labels` is empty or holds a tag that is not BIO.
    """

    def __init__(self, model, tokenizer, labels: Sequence[str]):
        super().__init__(name="ner_export")
        labels = list(labels)
        bad = [t for t in labels if not is_valid_tag(t)]
        if not labels or bad:
            raise ConfigError(f"labels must be BIO tags ('O', 'B-<type>', 'I-<type>'). Received: labels={labels[:10]!r}"
                              + (f", invalid: {bad[:5]!r}" if bad else ""))
        self.model = model
        self.tokenizer = tokenizer
        types = sorted({split_tag(t)[1] for t in labels if t != "O"})
        prefix_code = {"O": _OUTSIDE, "B": _BEGIN, "I": _INSIDE}
        self._labels = tf.constant(labels)
        # A trailing "" keeps the constant a string tensor when the labels hold no entity type.
        self._types = tf.constant(types + [""])
        self._label_prefix = tf.constant([prefix_code[split_tag(t)[0]] for t in labels], tf.int32)
        self._label_type = tf.constant([types.index(split_tag(t)[1]) if t != "O" else -1 for t in labels], tf.int32)

    def _piece_probabilities(self, piece_ids: tf.RaggedTensor) -> tf.RaggedTensor:
        """Softmax over tags for each piece kept after truncation: ragged `[batch, (p), labels]`."""
        ids = add_special_tokens(self.tokenizer, piece_ids)
        input_ids = ids.to_tensor(default_value=self.tokenizer.pad_id)
        logits = self.model({
            "input_ids": input_ids,
            "attention_mask": tf.ones_like(ids).to_tensor(default_value=0),
            "token_type_ids": tf.zeros_like(input_ids),
        }, training=False)
        probs = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        return tf.RaggedTensor.from_tensor(probs[:, 1:], lengths=ids.row_lengths() - 2)

    # No autograph: the graph has no Python control flow on tensors, and tracing stays fast.
    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")], autograph=False)
    def serve_texts(self, texts):
        keep = self.tokenizer.max_length - 2
        ids, starts, ends = self.tokenizer.tokenize_with_offsets(texts)
        ids, starts, ends = ids[:, :keep], starts[:, :keep], ends[:, :keep]
        probs = self._piece_probabilities(ids).flat_values
        batch = tf.shape(texts, out_type=tf.int64)[0]

        # Words: BERT pre-tokens. Global word number of each piece across the batch.
        word = tf.cast(self.tokenizer.word_index(ids), tf.int64)
        words_per_row = tf.math.unsorted_segment_max(word.flat_values + 1, word.value_rowids(), batch)
        words_per_row = tf.maximum(words_per_row, 0)
        row_offset = tf.cumsum(words_per_row, exclusive=True)
        global_word = word.flat_values + tf.gather(row_offset, word.value_rowids())
        n_words = tf.reduce_sum(words_per_row)
        piece_index = tf.range(tf.shape(global_word, out_type=tf.int64)[0])
        first_piece = tf.math.unsorted_segment_min(piece_index, global_word, n_words)
        word_start = tf.math.unsorted_segment_min(starts.flat_values, global_word, n_words)
        word_end = tf.math.unsorted_segment_max(ends.flat_values, global_word, n_words)
        word_probs = tf.gather(probs, first_piece)
        word_tag = tf.argmax(word_probs, axis=-1, output_type=tf.int32)
        word_score = tf.reduce_max(word_probs, axis=-1)
        word_row = tf.repeat(tf.range(batch), words_per_row)

        # Chunking (conlleval rules, as kerasknow.ner.bio.entity_spans) on word tags.
        prefix = tf.gather(self._label_prefix, word_tag)
        type_ = tf.gather(self._label_type, word_tag)
        row_start = tf.equal(tf.range(n_words), tf.gather(row_offset, word_row))
        prev_prefix = tf.where(row_start, _OUTSIDE, tf.concat([[_OUTSIDE], prefix[:-1]], 0))
        prev_type = tf.where(row_start, -1, tf.concat([[-1], type_[:-1]], 0))
        in_entity = tf.not_equal(prefix, _OUTSIDE)
        begins = in_entity & ((prefix == _BEGIN) | (prev_prefix == _OUTSIDE) | (prev_type != type_))
        entity_of_word = tf.cumsum(tf.cast(begins, tf.int64)) - 1
        n_entities = tf.reduce_sum(tf.cast(begins, tf.int64))
        segment = tf.boolean_mask(entity_of_word, in_entity)
        byte_start = tf.math.unsorted_segment_min(tf.boolean_mask(word_start, in_entity), segment, n_entities)
        byte_end = tf.math.unsorted_segment_max(tf.boolean_mask(word_end, in_entity), segment, n_entities)
        score = tf.math.unsorted_segment_mean(tf.boolean_mask(word_score, in_entity), segment, n_entities)
        entity_type = tf.gather(self._types, tf.boolean_mask(type_, begins))
        entity_row = tf.boolean_mask(word_row, begins)

        # Byte offsets -> character offsets: count the characters that start before the byte.
        entity_text = tf.gather(texts, entity_row)
        _, char_starts = tf.strings.unicode_decode_with_offsets(entity_text, "UTF-8")
        big = tf.int64.max
        # One extra `big` column: searchsorted cannot reshape a [0, 0] tensor (a batch without
        # entities), and a column of `big` never changes how many starts are below a byte.
        char_starts = tf.concat([char_starts.to_tensor(default_value=big), tf.fill([n_entities, 1], big)], axis=1)
        char_start = tf.searchsorted(char_starts, byte_start[:, None], side="left")[:, 0]
        char_end = tf.searchsorted(char_starts, byte_end[:, None], side="left")[:, 0]
        surface = tf.strings.substr(entity_text, byte_start, byte_end - byte_start, unit="BYTE")

        def per_row(values, default):
            ragged = tf.RaggedTensor.from_value_rowids(values, entity_row, nrows=batch)
            return ragged.to_tensor(default_value=default)

        counts = tf.math.unsorted_segment_sum(tf.ones_like(entity_row, tf.int32), entity_row, batch)
        return {
            "entity_types": per_row(entity_type, ""),
            "entity_starts": per_row(tf.cast(char_start, tf.int32), -1),
            "entity_ends": per_row(tf.cast(char_end, tf.int32), -1),
            "entity_texts": per_row(surface, ""),
            "entity_scores": per_row(score, 0.0),
            "entity_counts": counts,
        }

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")], autograph=False)
    def serve_examples(self, examples):
        parsed = tf.io.parse_example(examples, {"tokens": tf.io.RaggedFeature(tf.string)})
        tokens = parsed["tokens"]
        piece_ids, first_piece = word_pieces_of_sentences(self.tokenizer, tokens)
        probs = self._piece_probabilities(piece_ids)
        first = first_piece.flat_values
        kept = tf.gather(probs.row_lengths(), first_piece.value_rowids())
        scored = (first >= 0) & (first < kept)
        index = tf.where(scored, first + tf.gather(probs.row_starts(), first_piece.value_rowids()), 0)
        word_probs = tf.gather(probs.flat_values, index)
        tag = tf.where(scored, tf.gather(self._labels, tf.argmax(word_probs, axis=-1)), "O")
        score = tf.where(scored, tf.reduce_max(word_probs, axis=-1), 0.0)
        return {
            "tags": tokens.with_flat_values(tag).to_tensor(default_value=""),
            "tag_scores": tokens.with_flat_values(score).to_tensor(default_value=0.0),
            "token_counts": tf.cast(tokens.row_lengths(), tf.int32),
        }


def export_ner_model(model, export_dir: str, tokenizer, labels: Sequence[str]) -> str:
    """Writes the NER SavedModel with `serving_default` and `serving_examples`.

    Args:
        model: The trained token classifier.
        export_dir: Where to write (created; e.g. the Trainer's `serving_model_dir`).
        tokenizer: The `InGraphBertTokenizer` used in training.
        labels: The tag vocabulary in label-id order.

    Returns:
        `export_dir`.

    Raises:
        ConfigError: For labels that are not BIO tags.

    Example:

    ```python
    export_ner_model(model, "out/serving/1", tok, ["B-PER", "I-PER", "O"])
    import tensorflow_text  # registers the tokenizer ops before loading
    tf.saved_model.load("out/serving/1").signatures["serving_default"](texts=tf.constant(["Ann"]))
    ```
    """
    module = NerExportModule(model, tokenizer, labels)
    signatures = {
        "serving_default": module.serve_texts.get_concrete_function(),
        "serving_examples": module.serve_examples.get_concrete_function(),
    }
    tf.io.gfile.makedirs(export_dir)
    tf.saved_model.save(module, export_dir, signatures=signatures)
    return export_dir

