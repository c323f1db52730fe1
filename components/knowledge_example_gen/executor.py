"""KnowledgeExampleGen's executor."""
import logging
import os

from tfx.components.example_gen import utils as example_gen_utils
from tfx.types import artifact_utils

from kerasknow.components.component_io import copy_tree
from kerasknow.components.component_keys import EXAMPLES_KEY, REJECTS_KEY
from kerasknow.components.knowledge_beam_executor import KnowledgeBeamExecutor
from kerasknow.components.knowledge_executor import StepContext
from kerasknow.config import setting
from kerasknow.data.label_vocabulary import write_labels
from kerasknow.data.write_examples import SPLITS
from kerasknow.errors import DataError
from kerasknow.progress import open_bar

logger = logging.getLogger(__name__)
#: The sections the reader reads (the component's CONFIG_SECTIONS), handed to the Beam workers.
CONFIG_SECTIONS = ("data", "ingest")
#: The ingest ledger's folder in the rejects artifact while the step runs (removed after).
LEDGER_DIR = ".ledger"


class Executor(KnowledgeBeamExecutor):
    """Reads, splits and writes knowledge records with Beam (`IngestKnowledge`); reports every reject."""

    def run(self, step: StepContext) -> None:
        from tfx.dsl.io import fileio

        from kerasknow.components.knowledge_example_gen.ingest_knowledge import IngestKnowledge, read_ledger

        cfg, family = step.config, step.family
        examples, rejects = step.outputs[EXAMPLES_KEY], step.outputs[REJECTS_KEY]
        examples.split_names = artifact_utils.encode_split_names(list(SPLITS))

        # Planned here, before Beam starts: data the reader refuses as a whole fails at once.
        parts = family.read_parts(cfg)
        ledger_dir = os.path.join(rejects.uri, LEDGER_DIR)
        progress = open_bar("ingest", total=1, unit="pipelines")
        with self._make_beam_pipeline() as pipeline:
            _ = pipeline | "IngestKnowledge" >> IngestKnowledge(cfg.to_json(CONFIG_SECTIONS), parts, examples.uri,
                                                                ledger_dir)
        progress.update(1)
        progress.close()
        report, counts, labels, error = read_ledger(ledger_dir, cfg.ingest.max_reject_fraction)
        fileio.rmtree(ledger_dir)
        if error:
            raise DataError(error)

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
        write_labels(examples.uri, labels)
        examples.set_string_custom_property(example_gen_utils.PAYLOAD_FORMAT_PROPERTY_NAME, "FORMAT_TF_EXAMPLE")
        examples.set_string_custom_property(example_gen_utils.FILE_FORMAT_PROPERTY_NAME, "tfrecords_gzip")
        examples.set_string_custom_property("data", cfg.data)
        for split in SPLITS:
            examples.set_int_custom_property(f"num_{split}", counts[split])
        rejects.set_int_custom_property("read", report.read)
        rejects.set_int_custom_property("used", report.used)
        rejects.set_int_custom_property("rejected", report.rejected)
