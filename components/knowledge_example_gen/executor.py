"""KnowledgeExampleGen's executor."""
import logging
import os

from tfx.components.example_gen import utils as example_gen_utils
from tfx.types import artifact_utils

from kerasknow.components.component_io import copy_tree
from kerasknow.components.component_keys import EXAMPLES_KEY, REJECTS_KEY
from kerasknow.components.knowledge_executor import KnowledgeExecutor, StepContext
from kerasknow.config import setting
from kerasknow.data.label_vocabulary import write_labels
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.data.split import assign_split
from kerasknow.data.write_examples import SPLITS, write_examples
from kerasknow.errors import DataError
from kerasknow.progress import open_bar

logger = logging.getLogger(__name__)


class Executor(KnowledgeExecutor):
    """Reads, splits and writes knowledge records; reports every reject."""

    def run(self, step: StepContext) -> None:
        cfg, family = step.config, step.family
        examples, rejects = step.outputs[EXAMPLES_KEY], step.outputs[REJECTS_KEY]
        examples.split_names = artifact_utils.encode_split_names(list(SPLITS))

        report = RejectsReport(cfg.ingest.max_reject_fraction)
        labels = set()

        progress = open_bar("reading", unit="records")

        def serialized():
            for record in family.read(cfg, report):
                progress.update(1)
                labels.update(family.labels_of(record))
                yield assign_split(record.key, cfg.ingest.eval_fraction), family.to_example(record).SerializeToString()

        counts = write_examples(examples.uri, serialized())
        progress.close()

        report.write(rejects.uri)
        # Reports outlive a failed execution (TFX may discard its outputs) under <output>/reports/<run>.
        stable = step.reports_dir("ingest")
        copy_tree(rejects.uri, stable)
        stable_path = os.path.join(stable, "rejects.txt")
        logger.info("Knowledge data %s: %s; train %d, eval %d (rejects report: %s)", cfg.data, report.summary_line(),
                    counts["train"], counts["eval"], stable_path)
        report.check(stable_path)
        for split in SPLITS:
            if counts[split] == 0:
                raise DataError(
                    f"The {split} split is empty ({report.used} usable records, eval_fraction="
                    f"{cfg.ingest.eval_fraction}). Add knowledge or change {setting('ingest.eval_fraction')}.")
        write_labels(examples.uri, sorted(labels))
        examples.set_string_custom_property(example_gen_utils.PAYLOAD_FORMAT_PROPERTY_NAME, "FORMAT_TF_EXAMPLE")
        examples.set_string_custom_property(example_gen_utils.FILE_FORMAT_PROPERTY_NAME, "tfrecords_gzip")
        examples.set_string_custom_property("data", cfg.data)
        for split in SPLITS:
            examples.set_int_custom_property(f"num_{split}", counts[split])
        rejects.set_int_custom_property("read", report.read)
        rejects.set_int_custom_property("used", report.used)
        rejects.set_int_custom_property("rejected", report.rejected)
