"""KnowledgeExampleGen's executor."""
import json
import logging
import os
from typing import Any, Dict, List

from tfx.components.example_gen import utils as example_gen_utils
from tfx.dsl.components.base import base_executor
from tfx.dsl.io import fileio
from tfx.types import artifact, artifact_utils

from kerasknow.components.component_io import copy_tree
from kerasknow.config import RunConfig
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.data.split import assign_split
from kerasknow.errors import DataError
from kerasknow.tfx_module import LABELS_FILE

logger = logging.getLogger(__name__)

SPLITS = ("train", "eval")
FILE_NAME = "data_tfrecord-00000-of-00001.gz"


class Executor(base_executor.BaseExecutor):
    """Reads, splits and writes knowledge records; reports every reject."""

    def Do(self, input_dict: Dict[str, List[artifact.Artifact]],
           output_dict: Dict[str, List[artifact.Artifact]], exec_properties: Dict[str, Any]) -> None:
        import tensorflow as tf
        from tqdm.auto import tqdm

        from kerasknow.tasks.registry import get_task_family

        cfg = RunConfig.from_json(exec_properties["config"])
        family = get_task_family(cfg.task)
        examples = artifact_utils.get_single_instance(output_dict["examples"])
        rejects = artifact_utils.get_single_instance(output_dict["rejects"])
        examples.split_names = artifact_utils.encode_split_names(list(SPLITS))

        report = RejectsReport(cfg.max_reject_fraction)
        counts = {s: 0 for s in SPLITS}
        labels = set()
        options = tf.io.TFRecordOptions(compression_type="GZIP")
        writers = {}
        for split in SPLITS:
            uri = artifact_utils.get_split_uri([examples], split)
            fileio.makedirs(uri)
            writers[split] = tf.io.TFRecordWriter(os.path.join(uri, FILE_NAME), options)
        try:
            for record in tqdm(family.read(cfg, report), desc=f"Ingesting {cfg.data}", unit=" records",
                               mininterval=2.0):
                split = assign_split(record.key, cfg.eval_fraction)
                writers[split].write(family.to_example(record).SerializeToString())
                counts[split] += 1
                labels.update(family.labels_of(record))
        finally:
            for w in writers.values():
                w.close()

        report_path = report.write(rejects.uri)
        # Reports outlive a failed execution (TFX may discard its outputs) under <output>/reports.
        stable = os.path.join(cfg.reports_dir(), "ingest")
        copy_tree(rejects.uri, stable)
        stable_path = os.path.join(stable, "rejects.txt")
        logger.info("Knowledge data %s: %s (rejects report: %s)", cfg.data, report.summary_line(), stable_path)
        print(f"[kerasknow] ingest: {report.summary_line()}; train {counts['train']}, eval {counts['eval']}; "
              f"rejects report: {stable_path}", flush=True)
        report.check(stable_path)
        for split in SPLITS:
            if counts[split] == 0:
                raise DataError(
                    f"The {split} split is empty ({report.used} usable records, eval_fraction="
                    f"{cfg.eval_fraction}). Add knowledge or change eval_fraction."
                )
        with fileio.open(os.path.join(examples.uri, LABELS_FILE), "w") as f:
            f.write(json.dumps(sorted(labels)))
        examples.set_string_custom_property(example_gen_utils.PAYLOAD_FORMAT_PROPERTY_NAME, "FORMAT_TF_EXAMPLE")
        examples.set_string_custom_property(example_gen_utils.FILE_FORMAT_PROPERTY_NAME, "tfrecords_gzip")
        for split in SPLITS:
            examples.set_int_custom_property(f"num_{split}", counts[split])
        rejects.set_int_custom_property("read", report.read)
        rejects.set_int_custom_property("used", report.used)
        rejects.set_int_custom_property("rejected", report.rejected)
