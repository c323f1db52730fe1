"""The text-classification task family: TF BERT sequence classification (parts in `kerasknow.text`)."""
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.family.task_family import TaskFamily
from kerasknow.text.text_spec import TEXT_CLASSIFICATION
from kerasknow.training.train_context import TrainContext
from kerasknow.validation.finding import Finding

EVAL_BATCH = 64


class TextClassification(TaskFamily):
    """Labelled text -> `TFBertForSequenceClassification` -> a raw-text serving signature.

    Example:

    >>> TextClassification().name
    'text-classification'
    """

    spec = TEXT_CLASSIFICATION
    # MiniLM on an AMX CPU: bfloat16 2.1x, XLA 1.7x, both 2.6x on fixed shapes
    # (docs/performance.md). XLA gets three coarse bucket widths so it compiles few shapes.
    cpu_auto_bfloat16 = True
    cpu_auto_xla = True

    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.text.text_classification_reader import TextClassificationReader

        ingest = config.ingest
        reader = TextClassificationReader(config.data, ingest.input_format, ingest.text_column, ingest.label_column)
        return reader.read(report)

    def read_parts(self, config: RunConfig) -> List[str]:
        from kerasknow.text.text_classification_reader import TextClassificationReader

        ingest = config.ingest
        reader = TextClassificationReader(config.data, ingest.input_format, ingest.text_column, ingest.label_column)
        return reader.files()

    def to_example(self, record: KnowledgeRecord):
        # num_words: the length distribution TFDV's drift comparator watches between updates.
        return encode_features({**record.features, "num_words": len(str(record.features["text"]).split())})

    def example_key(self, example: Dict[str, List[Any]]) -> str:
        from kerasknow.text.text_classification_reader import normalize_text

        return normalize_text(example["text"][0].decode("utf-8") if example.get("text") else "")

    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        from kerasknow.text.text_checks import text_classification_checks, token_lengths

        texts = [ex["text"][0].decode("utf-8") for exs in splits.values() for ex in exs if ex.get("text")]
        return text_classification_checks(splits, config, token_lengths(texts, config.model.checkpoint))

    def default_epochs(self, ctx: TrainContext) -> int:
        from kerasknow.text.text_schedule import text_default_epochs

        return text_default_epochs(ctx.num_train_examples(), ctx.config.training.batch_size)

    def knowledge_checks_transform(self, config: RunConfig):
        from kerasknow.text.text_checks_transform import TextClassificationChecks

        return TextClassificationChecks(config)

    def build_model(self, hp, ctx: TrainContext):
        from kerasknow.models.checkpoints import resolve_checkpoint
        from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

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
        return build_bert_sequence_classifier(resolve_checkpoint(cfg.model.checkpoint), num_labels=len(ctx.labels),
                                              dropout=dropout, learning_rate=learning_rate,
                                              jit_compile=ctx.plan.jit_compile,
                                              hash_dropout=ctx.plan.hash_dropout, seed=cfg.training.seed,
                                              warmup_steps=int(WARMUP_FRACTION * total_steps),
                                              total_steps=total_steps,
                                              finetune=bert_finetune_arguments(cfg.finetune,
                                                                               self.finetune_strategy(ctx)))

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.text.run_tokenizer import run_tokenizer
        from kerasknow.text.text_input_pipeline import make_text_dataset, xla_bucket_boundaries

        tokenizer = run_tokenizer(ctx.config)
        # XLA compiles once per input shape: a few coarse buckets, each batch padded to its
        # bucket's length.
        shapes = dict(bucket_boundaries=xla_bucket_boundaries(tokenizer.max_length),
                      pad_to_bucket_boundary=True) if ctx.plan.jit_compile else {}
        seed = ctx.config.training.seed
        train = make_text_dataset(ctx.train_files, tokenizer, ctx.labels, batch_size, training=True,
                                  max_examples=max_examples, seed=seed, **shapes)
        evaluation = make_text_dataset(ctx.eval_files, tokenizer, ctx.labels, batch_size, training=False,
                                       max_examples=max_examples, seed=seed, **shapes)
        return train, evaluation

    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.text.run_tokenizer import run_tokenizer
        from kerasknow.text.text_classifier_export import export_text_classifier

        export_text_classifier(model, export_dir, run_tokenizer(ctx.config), ctx.labels)

    def serving_inputs(self, examples: List[Dict[str, Any]]) -> Dict[str, List[bytes]]:
        return {"texts": [ex["text"][0] for ex in examples]}

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        from kerasknow.metrics.served_classifier_eval import evaluate_served_classifier

        return evaluate_served_classifier(
            saved_model_dir, "texts", self.serving_inputs(eval_examples)["texts"],
            [ex["label"][0].decode("utf-8") for ex in eval_examples], labels, batch_size=EVAL_BATCH)
