"""Ingest as a Beam transform: read each part of the data, reject, split, write sharded TFRecords."""
import dataclasses
import json
from typing import Any, Dict, List, Sequence

import apache_beam as beam

from kerasknow.data.rejects_report import Reject, RejectsReport
from kerasknow.data.write_examples import SPLITS

#: The tagged output of the reading step: one JSON line per part (its ledger entry).
LEDGER = "ledger"
#: The ledger's files under the ledger folder.
LEDGER_PREFIX = "ledger"
#: The split files' name, before the shard template `-SSSSS-of-NNNNN` and `.gz` (TFX's ExampleGen's).
SHARD_PREFIX = "data_tfrecord"


class _ReadPart(beam.DoFn):
    """Reads one part with the family's reader: `(split, serialised tf.Example)` per usable record,
    and, tagged `ledger`, the part's count, rejects (in read order), changes, labels or error."""

    def __init__(self, config_json: str):
        self._config_json = config_json

    def setup(self):
        from kerasknow.config import RunConfig
        from kerasknow.family.registry import get_task_family

        self._config = RunConfig.from_json(self._config_json)
        self._family = get_task_family(self._config.task)

    def process(self, element):
        from kerasknow.data.split import assign_split
        from kerasknow.errors import DataError

        index, part = element
        cfg = dataclasses.replace(self._config, data=part)
        report = RejectsReport(cfg.ingest.max_reject_fraction)
        labels = set()
        error = ""
        try:
            for record in self._family.read(cfg, report):
                labels.update(self._family.labels_of(record))
                yield (assign_split(record.key, cfg.ingest.eval_fraction),
                       self._family.to_example(record).SerializeToString())
        except DataError as e:
            # A whole part the reader refuses (a foreign encoding, a header without the columns)
            # fails the run with the reader's own message, raised by the executor.
            error = str(e)
        yield beam.pvalue.TaggedOutput(LEDGER, json.dumps({
            "part": index, "used": report.used, "rejects": [dataclasses.asdict(r) for r in report.rejects],
            "changes": report.changes, "labels": sorted(labels), "error": error}, ensure_ascii=False))


class IngestKnowledge(beam.PTransform):
    """Reads knowledge data into an Examples folder's split TFRecords, with a ledger of every record.

    The parts (`TaskFamily.read_parts`: a folder's files) are read in parallel, each by the
    family's own reader from start to end, so every record and reject, with its file, line and
    reason, is what the reader gives on its own. Each usable record goes to the split of its key
    (`kerasknow.data.split.assign_split`, as before Beam), into GZIP TFRecord shards
    `Split-<split>/data_tfrecord-SSSSS-of-NNNNN.gz`. The ledger (`read_ledger`) holds per part
    its used count, rejects, changes, labels and reader error, and the records per split.

    Args:
        config_json: The run config the reader reads (`task`, `data`, the `ingest` section), as JSON.
        parts: The parts of `config.data`, in read order (`TaskFamily.read_parts`).
        examples_uri: The Examples folder.
        ledger_dir: A folder for the ledger files (`read_ledger` reads them).

    Example:

    ```python
    with beam.Pipeline(argv=["--direct_running_mode=multi_processing"]) as p:
        _ = p | IngestKnowledge(cfg.to_json(("data", "ingest")), family.read_parts(cfg), uri, ledger)
    report, counts, labels, error = read_ledger(ledger, cfg.ingest.max_reject_fraction)
    ```
    """

    def __init__(self, config_json: str, parts: Sequence[str], examples_uri: str, ledger_dir: str):
        super().__init__()
        self._config_json = config_json
        self._parts = list(parts)
        self._examples_uri = examples_uri
        self._ledger_dir = ledger_dir

    def expand(self, pbegin):
        from apache_beam.io.filesystem import CompressionTypes

        read = (pbegin
                | "Parts" >> beam.Create(list(enumerate(self._parts)))
                # One part per worker: Create's elements would otherwise stay in one bundle.
                | "SpreadParts" >> beam.Reshuffle()
                | "Read" >> beam.ParDo(_ReadPart(self._config_json)).with_outputs(LEDGER, main="records"))
        records = read.records
        for split in SPLITS:
            _ = (records
                 | f"Only{split.title()}" >> beam.Filter(lambda r, s=split: r[0] == s)
                 | f"Bytes{split.title()}" >> beam.Map(lambda r: r[1])
                 | f"Write{split.title()}" >> beam.io.WriteToTFRecord(
                     _join(self._examples_uri, f"Split-{split}", SHARD_PREFIX), file_name_suffix=".gz",
                     compression_type=CompressionTypes.GZIP))
        counts = (records
                  | "Splits" >> beam.Map(lambda r: r[0])
                  | "CountSplits" >> beam.combiners.Count.PerElement()
                  | "CountLines" >> beam.Map(lambda kv: json.dumps({"split": kv[0], "count": kv[1]})))
        return ((read[LEDGER], counts)
                | "Ledger" >> beam.Flatten()
                | "WriteLedger" >> beam.io.WriteToText(_join(self._ledger_dir, LEDGER_PREFIX),
                                                       file_name_suffix=".jsonl"))


def _join(folder: str, *names: str) -> str:
    return "/".join([folder.rstrip("/"), *names])


def read_ledger(ledger_dir: str, max_reject_fraction: float):
    """The ingest ledger `IngestKnowledge` wrote, as the run's `RejectsReport` and its figures.

    Args:
        ledger_dir: The ledger folder.
        max_reject_fraction: The report's `ingest.max_reject_fraction`.

    Returns:
        `(report, counts, labels, error)`: the rejects report (the parts' rejects in part order,
        each part's in read order; changes merged: lists concatenated, counts added), records per
        split (every split in `SPLITS`), the sorted labels, and the first part's reader error
        (`""` when every part was read).
    """
    from tfx.dsl.io import fileio

    parts: List[Dict[str, Any]] = []
    counts = {split: 0 for split in SPLITS}
    for path in sorted(fileio.glob(_join(ledger_dir, LEDGER_PREFIX + "*"))):
        with fileio.open(path, "r") as f:
            for line in f:
                if not line.strip():
                    continue
                entry = json.loads(line)
                if "split" in entry:
                    counts[entry["split"]] = counts.get(entry["split"], 0) + entry["count"]
                else:
                    parts.append(entry)
    parts.sort(key=lambda e: e["part"])
    report = RejectsReport(max_reject_fraction)
    labels = set()
    error = next((e["error"] for e in parts if e["error"]), "")
    for entry in parts:
        report.used += entry["used"]
        report.rejects.extend(Reject(**r) for r in entry["rejects"])
        labels.update(entry["labels"])
        for name, value in entry["changes"].items():
            report.changes[name] = _merged(report.changes.get(name), value)
    return report, counts, sorted(labels), error


def _merged(before, value):
    if before is None:
        return value
    if isinstance(value, list):
        return list(before) + value
    return before + value

