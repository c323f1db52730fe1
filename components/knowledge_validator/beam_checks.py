"""The knowledge checks that need the whole data set, run as one Beam pipeline over the split files."""
import dataclasses
import json
from typing import Dict, List, Optional, Sequence, Tuple

import apache_beam as beam

from kerasknow.components.beam_splits import has_split, read_split as _read_split
from kerasknow.components.example_labels import ExampleLabels
from kerasknow.components.family_do_fn import FamilyDoFn
from kerasknow.update.knowledge_comparison import (CHANGED_EXAMPLES, KnowledgeComparison, changed_order,
                                                   changed_record, label_set_outside)
from kerasknow.validation.finding import Finding

_FINDINGS = "findings"
_SUMMARY = "summary"
_COMPARISON = "comparison"
#: The old knowledge base's splits an update is compared with (KnowledgeBase's `knowledge`).
OLD_SPLITS = ("train", "eval")


class _KeyedLabels(FamilyDoFn):
    """`(example_key, (side, labels))` of one serialised tf.Example, as the family reads them."""

    def __init__(self, task: str, side: str):
        super().__init__(task)
        self._side = side

    def process(self, data):
        from kerasknow.data.example_codec import decode_example

        example = decode_example(data)
        yield self._family.example_key(example), (self._side, tuple(self._family.example_labels(example)))


def _changed_records(keyed):
    """The changed records of one key's new and old examples (`changed_record`)."""
    key, values = keyed
    old = {labels for side, labels in values if side == "old"}
    for side, labels in values:
        if side == "new":
            record = changed_record(key, labels, old)
            if record is not None:
                yield record


def _unknown_labels(keyed, old_labels: set):
    """The new example's labels the old knowledge lacks, as one sorted tuple; none when it has all."""
    unknown = label_set_outside(keyed[1][1], old_labels)
    return [unknown] if unknown else []


def _compare(p, new_data, old_uri: str, task: str, old_labels: Sequence[str], labels):
    """The `KnowledgeComparison` of the new examples (`new_data`: serialised) with the old
    knowledge base at `old_uri`, as a one-element PCollection of its JSON: both keyed by the
    family's `example_key` and grouped, so no side is held in one worker's memory."""
    old_reads = [_read_split(p, old_uri, split, "Old") for split in OLD_SPLITS if has_split(old_uri, split)]
    old_data = (old_reads or [p | "NoOld" >> beam.Create([])]) | "OldExamples" >> beam.Flatten()
    new_keyed = new_data | "KeyNew" >> beam.ParDo(_KeyedLabels(task, "new"))
    old_keyed = old_data | "KeyOld" >> beam.ParDo(_KeyedLabels(task, "old"))
    changed = ((new_keyed, old_keyed) | "BothSides" >> beam.Flatten() | "ByKey" >> beam.GroupByKey()
               | "Changed" >> beam.FlatMap(_changed_records))
    changed_count = changed | "CountChanged" >> beam.combiners.Count.Globally()
    first = changed | "FirstChanged" >> beam.combiners.Top.Smallest(CHANGED_EXAMPLES, key=changed_order)
    old_set = set(old_labels)
    label_sets = (new_keyed | "NewLabelSets" >> beam.FlatMap(_unknown_labels, old_set)
                  | "CountLabelSets" >> beam.combiners.Count.PerElement() | "LabelSetList" >> beam.combiners.ToList())
    return (p | "OneComparison" >> beam.Create([None])
            | "Comparison" >> beam.Map(
                lambda _, seen, sets, count, top: json.dumps(KnowledgeComparison(
                    sorted(seen), dict(sets), count, list(top)).to_dict()),
                beam.pvalue.AsSingleton(labels), beam.pvalue.AsSingleton(label_sets),
                beam.pvalue.AsSingleton(changed_count), beam.pvalue.AsSingleton(first)))


def run_beam_checks(pipeline, examples_uri: str, splits: Sequence[str], task: str, checks: beam.PTransform,
                    work_dir: str, old_uri: str = "", old_labels: Sequence[str] = ()
                    ) -> Tuple[List[Finding], Dict[str, int], List[str], Optional[KnowledgeComparison]]:
    """Runs `checks` (`TaskFamily.knowledge_checks_transform`) over every split's TFRecords and,
    for an update, compares them with the old knowledge base.

    Args:
        pipeline: A new `beam.Pipeline` (the executor's, with the run's `--beam-arg` flags).
        examples_uri: The Examples artifact's folder (`Split-<split>/*`).
        splits: The splits to read.
        task: The task family's name (its workers look it up).
        checks: The family's checks transform.
        work_dir: A folder for the pipeline's results (read back here, then removed).
        old_uri: An update's old knowledge base (KnowledgeBase's `knowledge` artifact, its
            `train` and `eval` splits); empty for a first run.
        old_labels: The old knowledge base's labels (with `old_uri`).

    Returns:
        `(findings, examples per split, sorted labels, comparison)`: `comparison`, the
        `KnowledgeComparison` with the old knowledge, is None without `old_uri`.
    """
    from tfx.dsl.io import fileio

    with pipeline as p:
        reads = [(_read_split(p, examples_uri, split, "")
                  | f"Tag{split.title()}" >> beam.Map(lambda data, s=split: (s, data)))
                 for split in splits]
        examples = reads | "Examples" >> beam.Flatten()
        _ = (examples
             | "KnowledgeChecks" >> checks
             | "FindingsJson" >> beam.Map(lambda fs: json.dumps([dataclasses.asdict(f) for f in fs], default=str))
             | "WriteFindings" >> beam.io.WriteToText(f"{work_dir}/{_FINDINGS}", num_shards=1))
        counts = (examples | "Splits" >> beam.Map(lambda e: e[0]) | "CountSplits" >> beam.combiners.Count.PerElement()
                  | "SplitCounts" >> beam.combiners.ToList())
        serialised = examples | "Serialised" >> beam.Values()
        labels = (serialised | "Labels" >> beam.ParDo(ExampleLabels(task)) | "DistinctLabels" >> beam.Distinct()
                  | "LabelList" >> beam.combiners.ToList())
        _ = (p | "One" >> beam.Create([None])
             | "Summary" >> beam.Map(lambda _, c, lab: json.dumps({"counts": dict(c), "labels": sorted(lab)}),
                                     beam.pvalue.AsSingleton(counts), beam.pvalue.AsSingleton(labels))
             | "WriteSummary" >> beam.io.WriteToText(f"{work_dir}/{_SUMMARY}", num_shards=1))
        if old_uri:
            _ = (_compare(p, serialised, old_uri, task, old_labels, labels)
                 | "WriteComparison" >> beam.io.WriteToText(f"{work_dir}/{_COMPARISON}", num_shards=1))

    def only(name):
        (path,) = fileio.glob(f"{work_dir}/{name}*")
        with fileio.open(path, "r") as f:
            return json.loads(f.read())

    findings = [Finding(**f) for f in only(_FINDINGS)]
    summary = only(_SUMMARY)
    comparison = KnowledgeComparison.from_dict(only(_COMPARISON)) if old_uri else None
    fileio.rmtree(work_dir)
    return findings, {split: summary["counts"].get(split, 0) for split in splits}, summary["labels"], comparison
