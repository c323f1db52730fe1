"""The text-classification task family: TF BERT sequence classification."""
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.tasks.run_tokenizer import run_tokenizer
from kerasknow.tasks.task_family import Finding, TaskFamily, TrainContext
from kerasknow.text.text_checks import text_classification_checks
from kerasknow.text.text_classification_reader import TextClassificationReader

EVAL_BATCH = 64


class TextClassification(TaskFamily):
    """Labelled text -> `TFBertForSequenceClassification` -> a raw-text serving signature.

    Example:

    >>> from kerasknow.tasks.registry import get_task_family
    >>> get_task_family("text-classification").name
    'text-classification'
    """

    name = "text-classification"
    # MiniLM on an AMX CPU: bfloat16 2.1x, XLA 1.7x, both 2.6x on fixed shapes
    # (docs/performance.md). XLA gets three coarse bucket widths so it compiles few shapes.
    cpu_auto_bfloat16 = True
    cpu_auto_xla = True
    label_feature = "label"

    def read(self, config: RunConfig, report: RejectsReport):
        reader = TextClassificationReader(config.data, config.input_format, config.text_column,
                                          config.label_column)
        return reader.read(report)

    def to_example(self, record: KnowledgeRecord):
        return encode_features(record.features)

    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        texts = [ex["text"][0].decode("utf-8") for exs in splits.values() for ex in exs if ex.get("text")]
        return text_classification_checks(splits, config, self._token_lengths(texts, config))

    @staticmethod
    def _token_lengths(texts: List[str], config: RunConfig) -> List[int]:
        """Word-piece counts (with [CLS]/[SEP]) from the checkpoint's real tokenizer."""
        from transformers import BertTokenizerFast

        from kerasknow.models.checkpoints import resolve_checkpoint

        tokenizer = BertTokenizerFast.from_pretrained(resolve_checkpoint(config.checkpoint))
        encoded = tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def build_model(self, hp, config: RunConfig, labels: List[str]):
        from kerasknow.models.bert_sequence_classifier import build_bert_sequence_classifier
        from kerasknow.models.checkpoints import resolve_checkpoint

        learning_rate = hp.Choice("learning_rate", config.learning_rates)
        dropout = hp.Choice("dropout", config.dropouts)
        plan = self.hardware_plan(config)
        return build_bert_sequence_classifier(resolve_checkpoint(config.checkpoint), num_labels=len(labels),
                                              dropout=dropout, learning_rate=learning_rate,
                                              jit_compile=plan.jit_compile,
                                              hash_dropout=plan.hash_dropout)

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.text.text_input_pipeline import make_text_dataset, xla_bucket_boundaries

        tokenizer = run_tokenizer(ctx.config)
        # XLA compiles once per input shape: a few coarse buckets, each batch padded to its
        # bucket's length.
        xla = self.hardware_plan(ctx.config).jit_compile
        shapes = dict(bucket_boundaries=xla_bucket_boundaries(tokenizer.max_length),
                      pad_to_bucket_boundary=True) if xla else {}
        train = make_text_dataset(ctx.train_files, tokenizer, ctx.labels, batch_size, training=True,
                                  max_examples=max_examples, seed=ctx.config.seed, **shapes)
        evaluation = make_text_dataset(ctx.eval_files, tokenizer, ctx.labels, batch_size, training=False,
                                       max_examples=max_examples, seed=ctx.config.seed, **shapes)
        return train, evaluation

    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.export.text_classifier_export import export_text_classifier

        export_text_classifier(model, export_dir, run_tokenizer(ctx.config), ctx.labels)

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        from kerasknow.tasks.served_classifier_eval import evaluate_served_classifier

        return evaluate_served_classifier(
            saved_model_dir, "texts", [ex["text"][0] for ex in eval_examples],
            [ex["label"][0].decode("utf-8") for ex in eval_examples], labels, batch_size=EVAL_BATCH)
