"""The text-classification knowledge checks as a Beam transform over the whole data set."""
import hashlib
from typing import Optional, Tuple

import apache_beam as beam

from kerasknow.config import RunConfig
from kerasknow.text.text_checks import (CONFLICT_EXAMPLES, DUPLICATE_EXAMPLES, TextAggregates, example_order,
                                        text_findings)
from kerasknow.text.text_classification_reader import normalize_text

#: Texts tokenized per call of the tokenizer.
_BATCH = 256


def _text_and_label(element: Tuple[str, bytes]) -> Tuple[str, Optional[str], str]:
    from tensorflow.core.example import example_pb2

    split, data = element
    feature = example_pb2.Example.FromString(data).features.feature
    text = feature["text"].bytes_list.value if "text" in feature else []
    label = feature["label"].bytes_list.value if "label" in feature else []
    # None: an example without a text feature (not tokenized, as in the in-memory checks).
    return split, text[0].decode("utf-8") if text else None, label[0].decode("utf-8") if label else ""


class _TextGroup(beam.CombineFn):
    """Per normalised text: `[examples, labels, splits, first 100 characters]`."""

    def create_accumulator(self):
        return [0, set(), set(), ""]

    def add_input(self, acc, value):
        split, label, prefix = value
        acc[0] += 1
        acc[1].add(label)
        acc[2].add(split)
        acc[3] = prefix
        return acc

    def merge_accumulators(self, accumulators):
        out = self.create_accumulator()
        for n, labels, splits, prefix in accumulators:
            out[0] += n
            out[1] |= labels
            out[2] |= splits
            out[3] = out[3] or prefix
        return out

    def extract_output(self, acc):
        return acc[0], sorted(acc[1]), sorted(acc[2]), acc[3]


class _TokenLengths(beam.DoFn):
    """Word pieces with [CLS]/[SEP] per text, from the checkpoint's real tokenizer (`token_lengths`)."""

    def __init__(self, checkpoint: str):
        self._checkpoint = checkpoint

    def setup(self):
        from transformers import BertTokenizerFast

        from kerasknow.models.checkpoints import resolve_checkpoint

        self._tokenizer = BertTokenizerFast.from_pretrained(resolve_checkpoint(self._checkpoint))

    def process(self, texts):
        ids = self._tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        for one in ids:
            yield len(one)


def _order_key(item):
    digest, (_, _, _, prefix) = item
    return prefix, digest


class TextClassificationChecks(beam.PTransform):
    """`text_classification_checks` over a PCollection of `(split, serialised tf.Example)`.

    Counts combine per key and globally (`CombinePerKey` on each normalised text's hash,
    `Count.PerElement`, `Top.Smallest` for the capped examples), so no worker holds the examples:
    per distinct text only its count, labels, splits and first 100 characters. The result is one
    element: the list of `Finding`s, the same as the in-memory checks give on the same examples.

    Args:
        config: `validation`, `model.checkpoint` (the tokenizer) and `model.max_seq_length`.

    Example:

    ```python
    findings = examples | TextClassificationChecks(cfg)   # one element: [Finding, ...]
    ```
    """

    def __init__(self, config: RunConfig):
        super().__init__()
        self._config = config

    def expand(self, examples):
        rows = examples | "TextAndLabel" >> beam.Map(_text_and_label)
        per_text = (rows
                    | "ByText" >> beam.Map(_keyed)
                    | "GroupText" >> beam.CombinePerKey(_TextGroup()))
        duplicates = per_text | "Duplicates" >> beam.Filter(lambda kv: kv[1][0] > 1 and len(kv[1][1]) == 1)
        conflicts = per_text | "Conflicts" >> beam.Filter(lambda kv: len(kv[1][1]) > 1)
        parts = {
            "total": rows | "Total" >> beam.combiners.Count.Globally(),
            "empty": (rows | "Empty" >> beam.Filter(lambda r: not (r[1] or "").strip())
                      | "CountEmpty" >> beam.combiners.Count.Globally()),
            "duplicate_rows": (duplicates | "Repeats" >> beam.Map(lambda kv: kv[1][0] - 1)
                               | "SumRepeats" >> beam.CombineGlobally(sum)),
            "duplicates_across_splits": (duplicates | "AcrossSplits" >> beam.Filter(lambda kv: len(kv[1][2]) > 1)
                                         | "CountAcross" >> beam.combiners.Count.Globally()),
            "duplicate_examples": (duplicates
                                   | "FirstDuplicates" >> beam.combiners.Top.Of(DUPLICATE_EXAMPLES, key=_order_key,
                                                                                reverse=True)),
            "conflicts": conflicts | "CountConflicts" >> beam.combiners.Count.Globally(),
            "conflict_examples": (conflicts
                                  | "FirstConflicts" >> beam.combiners.Top.Of(CONFLICT_EXAMPLES, key=_order_key,
                                                                              reverse=True)),
            "labels": (rows | "SplitLabel" >> beam.Map(lambda r: (r[0], r[2]))
                       | "CountLabels" >> beam.combiners.Count.PerElement()
                       | "LabelCounts" >> beam.combiners.ToList()),
            "token_lengths": (rows | "Texts" >> beam.FlatMap(lambda r: [r[1]] if r[1] is not None else [])
                              | "BatchTexts" >> beam.BatchElements(min_batch_size=16, max_batch_size=_BATCH)
                              | "Tokenize" >> beam.ParDo(_TokenLengths(self._config.model.checkpoint))
                              | "CountLengths" >> beam.combiners.Count.PerElement()
                              | "LengthCounts" >> beam.combiners.ToList()),
        }
        config = self._config
        side = {name: beam.pvalue.AsSingleton(pcoll) for name, pcoll in parts.items()}
        return (examples.pipeline
                | "One" >> beam.Create([None])
                | "Findings" >> beam.Map(lambda _, **values: _findings(values, config), **side))


def _keyed(row):
    split, text, label = row
    key = normalize_text(text or "")
    # The hash keys the group (a text may be long); the first 100 characters are its example.
    return hashlib.sha256(key.encode("utf-8")).hexdigest(), (split, label, key[:100])


def _findings(values, config: RunConfig):
    labels = {"train": {}, "eval": {}}
    for (split, label), n in values["labels"]:
        labels.setdefault(split, {})[label] = n
    return text_findings(TextAggregates(
        total=values["total"], empty=values["empty"], duplicate_rows=values["duplicate_rows"],
        duplicates_across_splits=values["duplicates_across_splits"],
        duplicate_examples=[prefix for _, (_, _, _, prefix) in values["duplicate_examples"]],
        conflicts=values["conflicts"],
        conflict_examples=[{"text": prefix, "labels": labs} for _, (_, labs, _, prefix) in values["conflict_examples"]],
        train_labels=labels["train"], eval_labels=labels["eval"],
        token_lengths=dict(values["token_lengths"])), config)
