"""The knowledge checks that need the whole data set, run as one Beam pipeline over the split files."""
import dataclasses
import json
from typing import Dict, List, Sequence, Tuple

import apache_beam as beam

from kerasknow.validation.finding import Finding

_FINDINGS = "findings"
_SUMMARY = "summary"


class _ExampleLabels(beam.DoFn):
    """The labels of one `(split, serialised tf.Example)`, as the family reads them."""

    def __init__(self, task: str):
        self._task = task

    def setup(self):
        from kerasknow.family.registry import get_task_family

        self._family = get_task_family(self._task)

    def process(self, element):
        from kerasknow.data.example_codec import decode_example

        for label in self._family.example_labels(decode_example(element[1])):
            yield label


def run_beam_checks(pipeline, examples_uri: str, splits: Sequence[str], task: str, checks: beam.PTransform,
                    work_dir: str) -> Tuple[List[Finding], Dict[str, int], List[str]]:
    """Runs `checks` (`TaskFamily.knowledge_checks_transform`) over every split's TFRecords.

    Args:
        pipeline: A new `beam.Pipeline` (the executor's, with the run's `--beam-arg` flags).
        examples_uri: The Examples artifact's folder (`Split-<split>/*`).
        splits: The splits to read.
        task: The task family's name (its workers look it up).
        checks: The family's checks transform.
        work_dir: A folder for the pipeline's results (read back here, then removed).

    Returns:
        `(findings, examples per split, sorted labels)`.
    """
    from apache_beam.io.filesystem import CompressionTypes
    from tfx.dsl.io import fileio

    with pipeline as p:
        reads = [(p | f"Read{split.title()}" >> beam.io.ReadFromTFRecord(
                     f"{examples_uri.rstrip('/')}/Split-{split}/*", compression_type=CompressionTypes.GZIP)
                  | f"Tag{split.title()}" >> beam.Map(lambda data, s=split: (s, data)))
                 for split in splits]
        examples = reads | "Examples" >> beam.Flatten()
        _ = (examples
             | "KnowledgeChecks" >> checks
             | "FindingsJson" >> beam.Map(lambda fs: json.dumps([dataclasses.asdict(f) for f in fs], default=str))
             | "WriteFindings" >> beam.io.WriteToText(f"{work_dir}/{_FINDINGS}", num_shards=1))
        counts = (examples | "Splits" >> beam.Map(lambda e: e[0]) | "CountSplits" >> beam.combiners.Count.PerElement()
                  | "SplitCounts" >> beam.combiners.ToList())
        labels = (examples | "Labels" >> beam.ParDo(_ExampleLabels(task)) | "DistinctLabels" >> beam.Distinct()
                  | "LabelList" >> beam.combiners.ToList())
        _ = (p | "One" >> beam.Create([None])
             | "Summary" >> beam.Map(lambda _, c, lab: json.dumps({"counts": dict(c), "labels": sorted(lab)}),
                                     beam.pvalue.AsSingleton(counts), beam.pvalue.AsSingleton(labels))
             | "WriteSummary" >> beam.io.WriteToText(f"{work_dir}/{_SUMMARY}", num_shards=1))

    def only(name):
        (path,) = fileio.glob(f"{work_dir}/{name}*")
        with fileio.open(path, "r") as f:
            return json.loads(f.read())

    findings = [Finding(**f) for f in only(_FINDINGS)]
    summary = only(_SUMMARY)
    fileio.rmtree(work_dir)
    return findings, {split: summary["counts"].get(split, 0) for split in splits}, summary["labels"]
