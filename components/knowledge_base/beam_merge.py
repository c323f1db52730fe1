"""KnowledgeBase's merge as one Beam pipeline: the new knowledge into the old, an update's training
set, and the knowledge base's TFDV statistics (the rules: `kerasknow.update.knowledge_merge`).

No worker holds a knowledge base: examples meet their old versions by key in a shuffle, the
replay sample's candidates are at most `replay_size` per class (`Top.SmallestPerKey`) before the
classes take turns, and the figures are
counts; on a cluster runner (`--beam-arg --runner=...`) the merge runs where ingest runs.
"""
import json
from typing import Dict, Sequence

import apache_beam as beam

from kerasknow.components.beam_splits import has_split, read_split, write_split
from kerasknow.components.example_labels import ExampleLabels
from kerasknow.components.family_do_fn import FamilyDoFn
from kerasknow.update.knowledge_comparison import changed_order, changed_record
from kerasknow.update.knowledge_merge import (CORRECTION_EXAMPLES, SPLITS, TRAINING_SPLITS, KnowledgeMerge,
                                              merge_summary, merged_labels, train_parts)
from kerasknow.update.replay_sample import rarest_class, round_robin, sample_rank

_SUMMARY = "merge_summary"
#: An example on its way through the merge: `(split, labels, classes, key, serialised)`.
_SPLIT, _LABELS, _CLASSES, _KEY, _DATA = range(5)


class _Keyed(FamilyDoFn):
    """`(example_key, (side, split, labels, classes, serialised))` of one serialised tf.Example."""

    def __init__(self, task: str, side: str, split: str):
        super().__init__(task)
        self._side, self._split = side, split

    def process(self, data):
        from kerasknow.data.example_codec import decode_example

        example = decode_example(data)
        yield self._family.example_key(example), (
            self._side, self._split, tuple(self._family.example_labels(example)),
            tuple(self._family.example_classes(example)), data)


class _OldModelLabels(FamilyDoFn):
    """A batch of new training examples relabelled by the old model (`label_with_old_model`)."""

    def __init__(self, task: str, saved_model_dir: str, old_labels: Sequence[str]):
        super().__init__(task)
        self._saved_model_dir, self._old_labels = saved_model_dir, list(old_labels)

    def process(self, batch, new_labels):
        from kerasknow.data.example_codec import decode_example

        examples = [(decode_example(data), data) for data in batch]
        for _, data in self._family.label_with_old_model(examples, self._saved_model_dir, self._old_labels,
                                                         new_labels):
            yield data


class _Resolve(beam.DoFn):
    """One key's old and new examples: known (counted), fresh (new, main output), corrections
    (their records), and the old examples kept (none when a new example corrects the key)."""

    def process(self, keyed):
        key, items = keyed
        items = list(items)
        old_sets = {labels for side, _, labels, _, _ in items if side == "old"}
        corrected = False
        for side, split, labels, classes, data in items:
            if side != "new":
                continue
            if old_sets and labels in old_sets:
                yield beam.pvalue.TaggedOutput("known", 1)
                continue
            record = changed_record(key, labels, old_sets)
            if record is not None:
                corrected = True
                yield beam.pvalue.TaggedOutput("corrections", record)
            yield split, labels, classes, key, data
        if not corrected:
            for side, split, labels, classes, data in items:
                if side == "old":
                    yield beam.pvalue.TaggedOutput("kept", (split, labels, classes, key, data))


def _by_split(examples, prefix: str) -> Dict[str, object]:
    parts = examples | f"{prefix}BySplit" >> beam.Partition(lambda e, n: SPLITS.index(e[_SPLIT]), len(SPLITS))
    return dict(zip(SPLITS, parts))


def _replay_sample(p, kept_train, size: int, seed: int):
    """The replay sample of the kept old train examples (`replay_sample`'s rule), as serialised
    examples: each counts for its rarest class, a class keeps its `size` of smallest rank, and one
    element takes the classes' turns (classes x `size` examples in memory at most)."""
    counts = (kept_train | "SampleClasses" >> beam.FlatMap(lambda e: e[_CLASSES])
              | "CountClasses" >> beam.combiners.Count.PerElement())
    ranked = kept_train | "RarestClass" >> beam.Map(
        lambda e, c: (rarest_class(e[_CLASSES], c), (sample_rank(e[_KEY], seed), e[_DATA])),
        beam.pvalue.AsDict(counts))
    queues = ranked | "FirstPerClass" >> beam.combiners.Top.SmallestPerKey(size)
    sizes = ranked | "ClassSizes" >> beam.combiners.Count.PerKey()
    return (p | "OneSample" >> beam.Create([None])
            | "Sample" >> beam.FlatMap(
                lambda _, q, n: [data for _, data in round_robin(q, n, size)],
                beam.pvalue.AsDict(queues), beam.pvalue.AsDict(sizes)))


def _write_statistics(records, statistics_uri: str, split: str) -> None:
    """TFDV statistics of one split, in StatisticsGen's layout (what the next update's drift reads)."""
    import tensorflow_data_validation as tfdv
    from tfx.components.statistics_gen import stats_artifact_utils
    from tfx_bsl.public import tfxio

    source = tfxio.TFExampleBeamRecord(physical_format="inmem", telemetry_descriptors=["kerasknow", "KnowledgeBase"])
    _ = (records
         | f"Batch{split.title()}" >> source.BeamSource()
         | f"Stats{split.title()}" >> tfdv.GenerateStatistics(tfdv.StatsOptions())
         | f"WriteStats{split.title()}" >> tfdv.WriteStatisticsToBinaryFile(
             f"{statistics_uri.rstrip('/')}/Split-{split}/{stats_artifact_utils.BINARY_PB_BASENAME}"))


def _count(pcoll, name: str):
    return beam.pvalue.AsSingleton(pcoll | f"Count{name}" >> beam.combiners.Count.Globally())


def run_beam_merge(pipeline, task: str, new_uri: str, old_uri: str, labels: Sequence[str], strategy: str,
                   replay_size: int, seed: int, training_uri: str, knowledge_uri: str, statistics_uri: str,
                   work_dir: str, old_model_dir: str = "") -> KnowledgeMerge:
    """Merges the new knowledge into the old and writes the knowledge base, the update's training
    examples and the knowledge base's statistics, in one Beam pipeline.

    Args:
        pipeline: A new `beam.Pipeline` (the executor's, with the run's `--beam-arg` flags).
        task: The task family's name (its workers look it up).
        new_uri: The new knowledge's Examples folder (`Split-train`, `Split-eval`).
        old_uri: The old knowledge base's folder (KnowledgeBase's `knowledge`); empty on a first run.
        labels: The vocabulary the labels grow from: on an update the old knowledge base's (its
            order is the served class ids), on a first run the new knowledge's.
        strategy: `update.strategy`.
        replay_size: `update.replay_size`.
        seed: Seed of the replay sample.
        training_uri: Where the training examples go (`TRAINING_SPLITS`).
        knowledge_uri: Where the knowledge base goes (`SPLITS`).
        statistics_uri: Where the knowledge base's statistics go (`Split-<split>/FeatureStats.pb`).
        work_dir: A folder for the pipeline's figures (read back here, then removed).
        old_model_dir: The old model's SavedModel, to relabel the new train split with
            (`TaskFamily.label_with_old_model`); empty: the new labels as they are.

    Returns:
        A `KnowledgeMerge` (counts; the examples are in the folders).
    """
    from tfx.dsl.io import fileio

    first_run = not old_uri
    old_labels = [] if first_run else list(labels)
    with pipeline as p:
        new, keyed = {}, []
        for split in SPLITS:
            new[split] = (read_split(p, new_uri, split, "New") if has_split(new_uri, split)
                          else p | f"NoNew{split.title()}" >> beam.Create([]))
        # The labels as the new knowledge gives them, before the old model's tags fill its `O`s:
        # what it annotates (NER: an old type it never tags is background, scored as `O` there).
        labels_seen = beam.pvalue.AsList(
            [new[split] for split in SPLITS] | "NewKnowledge" >> beam.Flatten()
            | "NewLabels" >> beam.ParDo(ExampleLabels(task)) | "DistinctNewLabels" >> beam.Distinct())
        if old_model_dir:
            labels_before = beam.pvalue.AsList(new["train"] | "TrainLabels" >> beam.ParDo(ExampleLabels(task))
                                               | "DistinctTrainLabels" >> beam.Distinct())
            new["train"] = (new["train"] | "Batches" >> beam.BatchElements(min_batch_size=1, max_batch_size=64)
                            | "OldModelLabels" >> beam.ParDo(_OldModelLabels(task, old_model_dir, old_labels),
                                                             labels_before))
        for split in SPLITS:
            keyed.append(new[split] | f"KeyNew{split.title()}" >> beam.ParDo(_Keyed(task, "new", split)))
        old_reads = []
        if not first_run:
            for split in SPLITS:
                if has_split(old_uri, split):
                    old_reads.append(read_split(p, old_uri, split, "Old")
                                     | f"KeyOld{split.title()}" >> beam.ParDo(_Keyed(task, "old", split)))
        old_keyed = (old_reads or [p | "NoOld" >> beam.Create([])]) | "OldExamples" >> beam.Flatten()
        resolved = ((keyed + [old_keyed]) | "BothSides" >> beam.Flatten() | "ByKey" >> beam.GroupByKey()
                    | "Resolve" >> beam.ParDo(_Resolve()).with_outputs("known", "corrections", "kept", main="fresh"))
        fresh, kept = _by_split(resolved.fresh, "Fresh"), _by_split(resolved.kept, "Kept")
        sample = (_replay_sample(p, kept["train"], replay_size, seed) if not first_run and replay_size > 0
                  else p | "NoSample" >> beam.Create([]))

        def data(examples, name):
            return examples | f"Data{name}" >> beam.Map(lambda e: e[_DATA])

        parts = {"fresh": data(fresh["train"], "FreshTrain"), "kept": data(kept["train"], "KeptTrain"),
                 "sample": sample}
        knowledge = {split: (data(kept[split], f"Kept{split.title()}K"), data(fresh[split], f"Fresh{split.title()}K"))
                     | f"Knowledge{split.title()}" >> beam.Flatten() for split in SPLITS}
        training = {
            "train": [parts[part] for part in train_parts(strategy, first_run)] | "Train" >> beam.Flatten(),
            "eval": knowledge["eval"],
            "eval_old": data(kept["eval"], "EvalOld"),
            "eval_new": data(fresh["eval"], "EvalNew"),
            "old_sample": sample,
        }
        for split in SPLITS:
            write_split(knowledge[split], knowledge_uri, split, "Knowledge")
            _write_statistics(knowledge[split], statistics_uri, split)
        for split in TRAINING_SPLITS:
            write_split(training[split], training_uri, split, "Training")

        counts = {"old": _count(old_keyed, "Old"), "known": _count(resolved.known, "Known"),
                  "corrections": _count(resolved.corrections, "Corrections"), "sample": _count(sample, "Sample")}
        old_set = set(old_labels)
        counts["new_label_examples"] = _count(
            resolved.fresh | "WithNewLabels" >> beam.Filter(lambda e: any(label not in old_set for label in e[_LABELS])),
            "NewLabelExamples")
        for split in SPLITS:
            counts[f"fresh_{split}"] = _count(fresh[split], f"Fresh{split.title()}")
            counts[f"kept_{split}"] = _count(kept[split], f"Kept{split.title()}")
        for split in TRAINING_SPLITS:
            counts[f"training_{split}"] = _count(training[split], f"Training{split.title()}")
        first_corrections = beam.pvalue.AsSingleton(
            resolved.corrections | "FirstCorrections" >> beam.combiners.Top.Smallest(CORRECTION_EXAMPLES,
                                                                                      key=changed_order))
        # The classifier update's class weights (update.class_balance) read these.
        training_labels = beam.pvalue.AsDict(
            training["train"] | "TrainingLabels" >> beam.ParDo(ExampleLabels(task))
            | "CountTrainingLabels" >> beam.combiners.Count.PerElement())
        _ = (p | "One" >> beam.Create([None])
             | "Figures" >> beam.Map(lambda _, first, seen, trained, **c: json.dumps(
                 {"counts": c, "corrections": first, "labels_seen": sorted(seen), "training_labels": trained}),
                 first_corrections, labels_seen, training_labels, **counts)
             | "WriteFigures" >> beam.io.WriteToText(f"{work_dir.rstrip('/')}/{_SUMMARY}", num_shards=1))

    (path,) = fileio.glob(f"{work_dir.rstrip('/')}/{_SUMMARY}*")
    with fileio.open(path, "r") as f:
        figures = json.loads(f.read())
    fileio.rmtree(work_dir)
    c, seen = figures["counts"], set(figures["labels_seen"])
    summary = merge_summary(strategy, first_run, c, figures["corrections"], seen, old_labels,
                            figures["training_labels"], old_model_labels=bool(old_model_dir))
    return KnowledgeMerge(labels=merged_labels(labels, seen), new_labels=summary["new_labels"],
                          knowledge_counts={split: c[f"fresh_{split}"] + c[f"kept_{split}"] for split in SPLITS},
                          training_counts={split: c[f"training_{split}"] for split in TRAINING_SPLITS},
                          summary=summary)
