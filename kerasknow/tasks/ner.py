"""The named-entity-recognition task family: CoNLL data -> TF BERT token classification."""
import collections
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.ner.bio import entity_spans, invalid_continuations, is_valid_tag
from kerasknow.tasks.run_tokenizer import run_tokenizer
from kerasknow.tasks.task_family import Finding, TaskFamily, TrainContext

EVAL_BATCH = 64
_LENGTH_BATCH = 512
_EXAMPLES = 5


def _strings(values) -> List[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


class NamedEntityRecognition(TaskFamily):
    """CoNLL `token<TAB>tag` sentences -> `TFBertForTokenClassification` -> raw-text entities.

    - Ingest (`read`): `kerasknow.ner.conll_reader.ConllReader` (IOB1 converted to IOB2; bad
      sentences rejected at the offending line; `I-` without `B-` kept for validation to report
      unless `config.repair_bio`).
    - Examples: `tokens` and `tags` bytes lists; the label vocabulary is the tag set.
    - Model: BERT token classifier, first word piece of each token carries its tag
      (`kerasknow.ner.token_classifier`), tuned on `val_token_accuracy`.
    - Export: `serving_default` (raw `texts` -> `entity_types`, `entity_starts`, `entity_ends`
      (character offsets), `entity_texts`, `entity_scores`, `entity_counts`) and
      `serving_examples` (`examples` -> `tags`, `tag_scores`, `token_counts`); see
      `kerasknow.ner.ner_export`.
    - Evaluation: runs `serving_examples` on the eval tokens; token accuracy and seqeval-equal
      entity precision/recall/F1 (`kerasknow.ner.ner_metrics`).

    Example:

    >>> from kerasknow.tasks.registry import get_task_family
    >>> get_task_family("ner").label_feature
    'tags'
    """

    name = "ner"
    label_feature = "tags"
    tuner_objective = "val_token_accuracy"
    # The same BERT encoder as text classification gains from bfloat16 on AMX CPUs; XLA stays
    # off because NER batches are padded to their longest sentence (a new shape per batch).
    cpu_auto_bfloat16 = True

    # ---- ingest --------------------------------------------------------------------------
    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.ner.conll_reader import ConllReader

        reader = ConllReader(config.data, tag_column=config.tag_column, repair_bio=config.repair_bio)

        def records():
            yield from reader.read(report)
            # Known only once every file is read; kept sentences were changed, so say so.
            if reader.iob1_files:
                report.changes["iob1_files_converted_to_iob2"] = list(reader.iob1_files)
            if config.repair_bio:
                report.changes["bio_tags_repaired"] = reader.repaired

        return records()

    def to_example(self, record: KnowledgeRecord):
        return encode_features({"tokens": record.features["tokens"], "tags": record.features["tags"]})

    # ---- knowledge validation ------------------------------------------------------------
    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        """Tag-sequence checks TFDV lacks (see the class docstring of `NamedEntityRecognition`).

        Findings: `tag_count_mismatch` (error), `unknown_tags` (error), `invalid_bio` (`I-`
        without a preceding `B-`/`I-` of its type: error; with `repair_bio` the reader has
        repaired them, and any left are a warning), `no_entities` (error), `entity_mentions`
        (info: mentions per type and split), `rare_entity_types` (warning: fewer than
        `min_mentions_per_type` train mentions), `unseen_eval_tags` (warning),
        `truncated_sentences` (sentences longer than `max_seq_length` word pieces with
        [CLS]/[SEP], counted with the checkpoint's tokenizer: warning above
        `max_truncated_fraction`, else info).
        """
        findings: List[Finding] = []
        rows = []  # (split, index, tokens, tags)
        mismatched = []
        for split, examples in splits.items():
            for i, ex in enumerate(examples):
                tokens, tags = _strings(ex.get("tokens", [])), _strings(ex.get("tags", []))
                if len(tokens) != len(tags):
                    mismatched.append({"split": split, "index": i, "tokens": len(tokens), "tags": len(tags),
                                       "text": " ".join(tokens)[:100]})
                    continue
                rows.append((split, i, tokens, tags))
        if mismatched:
            findings.append(Finding(
                "tag_count_mismatch", "error",
                f"{len(mismatched)} sentences have a different number of tokens and tags; every token "
                "needs exactly one tag.", {"count": len(mismatched), "examples": mismatched[:_EXAMPLES]}))

        unknown = collections.Counter(t for _, _, _, tags in rows for t in tags if not is_valid_tag(t))
        if unknown:
            findings.append(Finding(
                "unknown_tags", "error",
                f"{sum(unknown.values())} tags in {len(unknown)} forms are not 'O', 'B-<type>' or 'I-<type>': "
                f"{sorted(unknown)[:_EXAMPLES]}. Fix the tags (IOB2).", {"tags": dict(unknown.most_common(20))}))

        findings.extend(self._bio_findings(rows, config))
        findings.extend(self._mention_findings(rows, config))
        findings.extend(self._length_findings(rows, config))
        return findings

    @staticmethod
    def _bio_findings(rows, config: RunConfig) -> List[Finding]:
        invalid = []
        for split, i, tokens, tags in rows:
            for pos in invalid_continuations(tags):
                invalid.append({"split": split, "index": i, "position": pos, "token": tokens[pos],
                                "tag": tags[pos], "previous": tags[pos - 1] if pos else "(sentence start)"})
        if not invalid:
            return []
        severity = "warning" if config.repair_bio else "error"
        return [Finding(
            "invalid_bio", severity,
            f"{len(invalid)} 'I-' tags do not continue a 'B-'/'I-' of the same type (IOB2 needs an entity to "
            "begin with 'B-'). Fix the tags, or set repair_bio: true to turn them into 'B-'.",
            {"count": len(invalid), "examples": invalid[:_EXAMPLES]})]

    @staticmethod
    def _mention_findings(rows, config: RunConfig) -> List[Finding]:
        findings = []
        mentions: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        tags_by_split: Dict[str, set] = collections.defaultdict(set)
        for split, _, _, tags in rows:
            tags_by_split[split].update(tags)
            valid = [t if is_valid_tag(t) else "O" for t in tags]
            mentions[split].update(type_ for type_, _, _ in entity_spans(valid))
        total = collections.Counter()
        for counter in mentions.values():
            total.update(counter)
        if not total:
            findings.append(Finding(
                "no_entities", "error",
                "The knowledge data has no entity tags at all (every tag is 'O'); a NER model cannot learn "
                "from it. Fix: tag entities as 'B-<type>'/'I-<type>'.", {}))
            return findings
        findings.append(Finding(
            "entity_mentions", "info",
            f"{sum(total.values())} entity mentions of {len(total)} types: "
            + ", ".join(f"{t} {n}" for t, n in total.most_common()) + ".",
            {"by_split": {s: dict(c) for s, c in mentions.items()}, "total": dict(total)}))
        train = mentions.get("train", total)
        rare = {t: train.get(t, 0) for t in sorted(total) if train.get(t, 0) < config.min_mentions_per_type}
        if rare:
            findings.append(Finding(
                "rare_entity_types", "warning",
                f"{len(rare)} entity types have fewer than min_mentions_per_type={config.min_mentions_per_type} "
                f"training mentions: " + ", ".join(f"{t} ({n})" for t, n in rare.items())
                + ". The model will hardly learn them; add examples.",
                {"types": rare, "min_mentions_per_type": config.min_mentions_per_type}))
        if "train" in tags_by_split and "eval" in tags_by_split:
            unseen = sorted(tags_by_split["eval"] - tags_by_split["train"])
            if unseen:
                findings.append(Finding(
                    "unseen_eval_tags", "warning",
                    f"{len(unseen)} tags occur in eval but never in train: {unseen[:10]}. The model cannot "
                    "learn them; their eval entities count as misses.", {"tags": unseen}))
        return findings

    def _length_findings(self, rows, config: RunConfig) -> List[Finding]:
        if not rows:
            return []
        lengths = self._piece_lengths([tokens for _, _, tokens, _ in rows], config)
        over = [(row, n) for row, n in zip(rows, lengths) if n > config.max_seq_length]
        fraction = len(over) / len(rows)
        details = {
            "count": len(over), "fraction": fraction, "max_seq_length": config.max_seq_length,
            "max_truncated_fraction": config.max_truncated_fraction,
            "longest": max(lengths),
            "examples": [{"split": r[0], "index": r[1], "word_pieces": n, "text": " ".join(r[2])[:100]}
                         for r, n in over[:_EXAMPLES]],
        }
        if fraction > config.max_truncated_fraction:
            return [Finding(
                "truncated_sentences", "warning",
                f"{len(over)} sentences ({fraction:.1%}) are longer than max_seq_length={config.max_seq_length} "
                f"word pieces, above max_truncated_fraction={config.max_truncated_fraction:.1%}; their ends are "
                "not trained on or tagged. Raise max_seq_length or split the sentences.", details)]
        return [Finding(
            "truncated_sentences", "info",
            f"{len(over)} sentences ({fraction:.1%}) are longer than max_seq_length={config.max_seq_length} "
            f"word pieces (longest {max(lengths)}).", details)]

    def _piece_lengths(self, sentences: List[List[str]], config: RunConfig) -> List[int]:
        """Word pieces per sentence with [CLS]/[SEP], from the tokenizer training uses."""
        import tensorflow as tf

        from kerasknow.ner.label_alignment import word_pieces_of_sentences

        tokenizer = run_tokenizer(config)
        lengths: List[int] = []
        for start in range(0, len(sentences), _LENGTH_BATCH):
            batch = tf.ragged.constant(sentences[start:start + _LENGTH_BATCH], dtype=tf.string)
            piece_ids, _ = word_pieces_of_sentences(tokenizer, batch)
            lengths.extend(int(n) + 2 for n in piece_ids.row_lengths().numpy())
        return lengths

    # ---- model ---------------------------------------------------------------------------
    def build_model(self, hp, config: RunConfig, labels: List[str]):
        from kerasknow.models.checkpoints import resolve_checkpoint
        from kerasknow.ner.token_classifier import build_token_classifier

        learning_rate = hp.Choice("learning_rate", config.learning_rates)
        dropout = hp.Choice("dropout", config.dropouts)
        plan = self.hardware_plan(config)
        checkpoint = "" if config.tiny_model is not None else resolve_checkpoint(config.checkpoint)
        return build_token_classifier(checkpoint, num_labels=len(labels), dropout=dropout,
                                      learning_rate=learning_rate, tiny_config=config.tiny_model,
                                      jit_compile=plan.jit_compile, seed=config.seed,
                                      hash_dropout=plan.hash_dropout)

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.ner.ner_input_pipeline import make_ner_dataset

        tokenizer = run_tokenizer(ctx.config)
        train = make_ner_dataset(ctx.train_files, tokenizer, ctx.labels, batch_size, training=True,
                                 max_examples=max_examples, seed=ctx.config.seed)
        evaluation = make_ner_dataset(ctx.eval_files, tokenizer, ctx.labels, batch_size, training=False,
                                      max_examples=max_examples, seed=ctx.config.seed)
        return train, evaluation

    # ---- evaluation and export -----------------------------------------------------------
    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.ner.ner_export import export_ner_model

        export_ner_model(model, export_dir, run_tokenizer(ctx.config), ctx.labels)

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        """Tags the eval sentences with the SavedModel's `serving_examples` and scores them.

        Returns:
            `kerasknow.ner.ner_metrics.ner_metrics`'s dict (`accuracy` = token accuracy, `f1` =
            entity micro-F1, `per_class` per entity type, `scalars` with `f1/<type>` ...) plus
            `labels`.
        """
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops the SavedModel uses)

        from kerasknow.ner.ner_metrics import ner_metrics

        tagger = tf.saved_model.load(saved_model_dir).signatures["serving_examples"]
        tokens = [_strings(ex.get("tokens", [])) for ex in eval_examples]
        y_true = [_strings(ex.get("tags", [])) for ex in eval_examples]
        y_pred: List[List[str]] = []
        for start in range(0, len(tokens), EVAL_BATCH):
            batch = [encode_features({"tokens": t}).SerializeToString() for t in tokens[start:start + EVAL_BATCH]]
            out = tagger(examples=tf.constant(batch))
            tags, counts = out["tags"].numpy(), out["token_counts"].numpy()
            y_pred.extend([_strings(row[:n]) for row, n in zip(tags, counts)])
        result = ner_metrics(y_true, y_pred)
        result["labels"] = list(labels)
        return result
