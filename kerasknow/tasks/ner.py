"""The named-entity-recognition task family: CoNLL data -> TF BERT token classification."""
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.ner.ner_spec import NER
from kerasknow.family.task_family import TaskFamily
from kerasknow.training.train_context import TrainContext
from kerasknow.validation.finding import Finding


class NamedEntityRecognition(TaskFamily):
    """CoNLL `token<TAB>tag` sentences -> `TFBertForTokenClassification` -> raw-text entities.

    - Ingest (`read`): `kerasknow.ner.conll_reader.ConllReader` (IOB1 converted to IOB2; bad
      sentences rejected at the offending line; `I-` without `B-` kept for validation to report
      unless `ingest.repair_bio`).
    - Examples: `tokens` and `tags` bytes lists; the label vocabulary is the tag set.
    - Checks: `kerasknow.ner.ner_checks`.
    - Model: BERT token classifier, first word piece of each token carries its tag
      (`kerasknow.ner.token_classifier`), tuned on `val_token_accuracy`.
    - Export: `serving_default` (raw `texts` -> `entity_types`, `entity_starts`, `entity_ends`
      (character offsets), `entity_texts`, `entity_scores`, `entity_counts`) and
      `serving_examples` (`examples` -> `tags`, `tag_scores`, `token_counts`); see
      `kerasknow.ner.ner_export`.
    - Evaluation: `kerasknow.ner.ner_evaluation` (token accuracy and seqeval-equal entity
      precision/recall/F1 on the eval tokens).

    Example:

    >>> NamedEntityRecognition().label_feature
    'tags'
    """

    spec = NER
    # The same BERT encoder as text classification gains from bfloat16 on AMX CPUs; XLA stays
    # off because NER batches are padded to their longest sentence (a new shape per batch).
    cpu_auto_bfloat16 = True
    relabels_with_old_model = True
    weights_update_classes = False

    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.ner.conll_reader import ConllReader

        repair = config.ingest.repair_bio
        reader = ConllReader(config.data, tag_column=config.ingest.tag_column, repair_bio=repair)

        def records():
            yield from reader.read(report)
            # Known only once every file is read; kept sentences were changed, so say so.
            if reader.iob1_files:
                report.changes["iob1_files_converted_to_iob2"] = list(reader.iob1_files)
            if repair:
                report.changes["bio_tags_repaired"] = reader.repaired

        return records()

    def read_parts(self, config: RunConfig) -> List[str]:
        from kerasknow.ner.conll_reader import ConllReader

        return list(ConllReader(config.data, tag_column=config.ingest.tag_column).files)

    def to_example(self, record: KnowledgeRecord):
        tokens = record.features["tokens"]
        # num_tokens: the length distribution TFDV's drift comparator watches between updates.
        return encode_features({"tokens": tokens, "tags": record.features["tags"], "num_tokens": len(tokens)})

    def example_key(self, example: Dict[str, List[Any]]) -> str:
        from kerasknow.ner.ner_checks import strings

        return " ".join(strings(example.get("tokens", [])))

    def example_classes(self, example: Dict[str, List[Any]]) -> List[str]:
        from kerasknow.ner.bio import entity_spans, is_valid_tag

        tags = [t if is_valid_tag(t) else "O" for t in self.example_labels(example)]
        return sorted({type_ for type_, _, _ in entity_spans(tags)}) or ["O"]

    def label_with_old_model(self, examples, saved_model_dir: str, old_labels: List[str], new_labels=None):
        from kerasknow.ner.ner_checks import strings
        from kerasknow.ner.old_model_labels import background_types, merge_background, served_tags

        tag_sequences = [new_labels] if new_labels is not None else (strings(ex.get("tags", [])) for ex, _ in examples)
        types = background_types(old_labels, tag_sequences)
        if not types or not examples:
            return examples
        sentences = [strings(ex.get("tokens", [])) for ex, _ in examples]
        relabelled = []
        for (ex, data), old_tags in zip(examples, served_tags(saved_model_dir, sentences, keep_loaded=True)):
            tags = merge_background(strings(ex.get("tags", [])), old_tags, types)
            updated = self.with_labels(ex, tags)
            tokens = sentences[len(relabelled)]
            relabelled.append((updated, encode_features({"tokens": tokens, "tags": tags,
                                                         "num_tokens": len(tokens)}).SerializeToString()))
        return relabelled

    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        from kerasknow.ner.ner_checks import ner_checks

        return ner_checks(splits, config)

    def knowledge_checks_transform(self, config: RunConfig):
        from kerasknow.ner.ner_checks_transform import NerChecks

        return NerChecks(config)

    def default_epochs(self, ctx: TrainContext) -> int:
        from kerasknow.ner.ner_schedule import ner_default_epochs

        return ner_default_epochs(ctx.num_train_examples(), ctx.config.training.batch_size)

    def early_stopping_start(self, ctx: TrainContext) -> int:
        from kerasknow.ner.ner_schedule import ner_early_stopping_start

        return ner_early_stopping_start(ctx.num_train_examples(), ctx.config.training.batch_size, self.epochs(ctx))

    def build_model(self, hp, ctx: TrainContext):
        from kerasknow.models.checkpoints import resolve_checkpoint
        from kerasknow.ner.token_classifier import build_token_classifier

        from kerasknow.models.bert_finetune import WARMUP_FRACTION, bert_finetune_arguments

        from kerasknow.training.search_space import SearchSpace

        # The trial's strategy (and its rank or top_k) in ctx.config.finetune: hp's, declared once for all families.
        space = SearchSpace.of(self, ctx)
        ctx = space.context(hp, ctx)
        trial = space.declare(hp)
        cfg = ctx.config
        learning_rate, dropout = trial["learning_rate"], trial["dropout"]
        # Linear warm-up over the first tenth of the run, then linear decay to 0 (BERT's recipe).
        total_steps = self.schedule_steps(ctx)
        return build_token_classifier(resolve_checkpoint(cfg.model.checkpoint), num_labels=len(ctx.labels),
                                      dropout=dropout, learning_rate=learning_rate,
                                      jit_compile=ctx.plan.jit_compile, seed=cfg.training.seed,
                                      hash_dropout=ctx.plan.hash_dropout,
                                      warmup_steps=int(WARMUP_FRACTION * total_steps), total_steps=total_steps,
                                      finetune=bert_finetune_arguments(cfg.finetune, self.finetune_strategy(ctx)))

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.ner.ner_input_pipeline import make_ner_dataset
        from kerasknow.text.run_tokenizer import run_tokenizer

        tokenizer = run_tokenizer(ctx.config)
        seed = ctx.config.training.seed
        train = make_ner_dataset(ctx.train_files, tokenizer, ctx.labels, batch_size, training=True,
                                 max_examples=max_examples, seed=seed)
        evaluation = make_ner_dataset(ctx.eval_files, tokenizer, ctx.labels, batch_size, training=False,
                                      max_examples=max_examples, seed=seed)
        return train, evaluation

    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.ner.ner_export import export_ner_model
        from kerasknow.text.run_tokenizer import run_tokenizer

        export_ner_model(model, export_dir, run_tokenizer(ctx.config), ctx.labels)

    def baseline(self, eval_examples: List[Dict[str, Any]]):
        from kerasknow.metrics.baseline import all_outside_baseline
        from kerasknow.ner.ner_checks import strings

        return all_outside_baseline(strings(ex.get("tags", [])) for ex in eval_examples)

    def retention(self, candidate_dir: str, blessed_dir: str, old_examples, old_labels: List[str],
                  max_forgetting: float):
        from kerasknow.metrics.retention import ner_retention
        from kerasknow.ner.ner_checks import strings
        from kerasknow.ner.old_model_labels import served_tags

        sentences = [strings(ex.get("tokens", [])) for ex in old_examples]
        old_types = sorted({t[2:] for t in old_labels if t != "O"})
        return ner_retention([strings(ex.get("tags", [])) for ex in old_examples],
                             served_tags(blessed_dir, sentences), served_tags(candidate_dir, sentences),
                             old_types, max_forgetting)

    def serving_inputs(self, examples: List[Dict[str, Any]]) -> Dict[str, List[bytes]]:
        # A client sends the sentence as text; the tokens joined by spaces are that text.
        return {"texts": [b" ".join(ex["tokens"]) for ex in examples]}

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        from kerasknow.ner.ner_evaluation import evaluate_ner_model

        return evaluate_ner_model(saved_model_dir, eval_examples, labels)

    def evaluate_new_knowledge(self, saved_model_dir: str, new_examples: List[Dict[str, Any]],
                               labels: List[str], config: RunConfig, plan) -> Dict[str, Any]:
        from kerasknow.ner.ner_evaluation import evaluate_ner_model

        # With update.old_model_labels the old types in the new sentences are unannotated `O`
        # (background shift), and the candidate is trained to tag them: a right tag there is not
        # an error. On WNUT-2016 (bench knowledge_update) replay forgot nothing, yet scored token
        # accuracy 0.955 on the new tweets, below the all-O tagger, with persons tagged there.
        types = self._unannotated_old_types(new_examples, plan)
        result = evaluate_ner_model(saved_model_dir, new_examples, labels, outside_types=types)
        result["background_types"] = sorted(types)
        return result

    def evaluate_knowledge(self, saved_model_dir: str, old_examples: List[Dict[str, Any]],
                           new_examples: List[Dict[str, Any]], labels: List[str], config: RunConfig,
                           plan) -> Dict[str, Any]:
        from kerasknow.ner.ner_evaluation import evaluate_ner_model

        # The whole evaluation holds the new sentences too: scored as evaluate_new_knowledge
        # scores them, or every old-type mention the model rightly tags there counts against it
        # (WNUT-2016, 2026-12-04: replay's token accuracy 0.968 against the all-O baseline's
        # threshold 0.978, with no old type forgotten).
        types = self._unannotated_old_types(new_examples, plan)
        examples = list(old_examples) + list(new_examples)
        result = evaluate_ner_model(saved_model_dir, examples, labels, outside_types=types,
                                    outside_rows=[False] * len(old_examples) + [True] * len(new_examples))
        result["background_types"] = sorted(types)
        return result

    @staticmethod
    def _unannotated_old_types(new_examples: List[Dict[str, Any]], plan) -> set:
        """Old entity types the new knowledge leaves `O` (`background_types`), when the update
        trained on the old model's tags there (`update.old_model_labels`, as KnowledgeBase
        applied it: the evaluator is not handed the `update` section); else none."""
        from kerasknow.ner.ner_checks import strings
        from kerasknow.ner.old_model_labels import background_types

        if not plan.old_model_labels:
            return set()
        # The tags the new knowledge has as given, over all its splits; a plan from before they
        # were recorded falls back to the held-out sentences' own.
        given = plan.new_knowledge_labels
        sequences = [given] if given is not None else (strings(ex.get("tags", [])) for ex in new_examples)
        return background_types(plan.old_labels, sequences)
