"""KnowledgeBase's executor."""
import dataclasses
import json
import logging
import os
from typing import Dict, Sequence

from tfx.components.example_gen import utils as example_gen_utils
from tfx.dsl.io import fileio
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from kerasknow.components.component_io import write_text
from kerasknow.components.component_keys import (EXAMPLES_KEY, KNOWLEDGE_KEY, KNOWLEDGE_SCHEMA_KEY,
                                                 KNOWLEDGE_STATISTICS_KEY, PREVIOUS_MODEL_KEY, SCHEMA_KEY, TRAINING_KEY)
from kerasknow.components.knowledge_base.beam_merge import run_beam_merge
from kerasknow.components.knowledge_beam_executor import KnowledgeBeamExecutor
from kerasknow.components.knowledge_executor import StepContext
from kerasknow.data.label_vocabulary import read_labels, write_labels
from kerasknow.update.knowledge_merge import SPLITS, TRAINING_SPLITS, check_corrections
from kerasknow.update.previous_knowledge import PreviousKnowledge
from kerasknow.update.update_plan import UPDATE_FILE

#: The merge's figures in the training artifact while the step runs (removed after).
BEAM_WORK_DIR = ".beam"
logger = logging.getLogger(__name__)


def _describe_splits(artifact, counts: Dict[str, int], splits: Sequence[str]) -> None:
    """ExampleGen's properties on an Examples artifact whose splits the merge wrote."""
    artifact.split_names = artifact_utils.encode_split_names(list(splits))
    artifact.set_string_custom_property(example_gen_utils.PAYLOAD_FORMAT_PROPERTY_NAME, "FORMAT_TF_EXAMPLE")
    artifact.set_string_custom_property(example_gen_utils.FILE_FORMAT_PROPERTY_NAME, "tfrecords_gzip")
    for split in splits:
        artifact.set_int_custom_property(f"num_{split}", counts[split])


def _check_something_to_learn(merge, cfg, previous_uri: str) -> None:
    """Stops an update that has nothing to learn, before anything trains.

    TFX caches a rerun of the same knowledge; this is the case the cache does not catch: the
    same knowledge ingested again as a new artifact (another output folder's copy, a changed
    ingest setting), when the blessed model already learnt every example of it.
    """
    from kerasknow.config.settings import setting
    from kerasknow.errors import DataError

    summary = merge.summary
    nothing_new = summary["new"] == 0 and summary["corrections"] == 0
    if nothing_new and cfg.update.strategy != "retrain":
        raise DataError(
            f"Nothing to learn: all {summary['already_known']} examples of --data are already in the knowledge base "
            f"of the blessed model {previous_uri} (0 new, 0 corrections), so this update would train on old "
            f"knowledge only. The served version stays. Give new or changed knowledge in --data, or "
            f"{setting('update.strategy')} retrain to train again from the checkpoint. "
            f"Received: {summary['already_known']} known, 0 new, 0 corrected examples")
    if summary["new_train"] == 0 and cfg.update.strategy != "retrain":
        raise DataError(
            f"Nothing to learn from: the {summary['new']} new examples of --data all fell in the eval split "
            f"({setting('ingest.eval_fraction')}), which is held out, so the model would see none of them. "
            f"Add examples to --data. Received: {summary['new']} new examples, 0 of them in the train split")


class Executor(KnowledgeBeamExecutor):
    """Merges the new knowledge into the previous knowledge base and writes the update's training
    set, as one Beam pipeline with the run's `--beam-arg` flags (`beam_merge.run_beam_merge`)."""

    def run(self, step: StepContext) -> None:
        cfg, family = step.config, step.family
        new_examples = step.inputs[EXAMPLES_KEY]
        previous_model = step.inputs.get(PREVIOUS_MODEL_KEY)
        previous = PreviousKnowledge.of_model(previous_model.uri) if previous_model is not None else None
        # The vocabulary labels grow from: the old knowledge base's (its order is the served
        # class ids), or on a first run the new knowledge's.
        labels = read_labels(previous.knowledge if previous is not None else new_examples.uri)
        old_model_dir = ""
        if previous is not None and cfg.update.old_model_labels and family.relabels_with_old_model:
            old_model_dir = path_utils.serving_model_path(previous_model.uri)

        training, knowledge = step.outputs[TRAINING_KEY], step.outputs[KNOWLEDGE_KEY]
        statistics, kept = step.outputs[KNOWLEDGE_STATISTICS_KEY], step.outputs[KNOWLEDGE_SCHEMA_KEY]
        merge = run_beam_merge(
            self._make_beam_pipeline(), cfg.task, new_examples.uri, previous.knowledge if previous is not None else "",
            labels, cfg.update.strategy,
            cfg.update.replay_size, cfg.training.seed, training.uri, knowledge.uri, statistics.uri,
            os.path.join(training.uri, BEAM_WORK_DIR), old_model_dir=old_model_dir)
        # After the pipeline: a failed execution's outputs are never published, so nothing it
        # wrote reaches the Trainer or the next update.
        check_corrections(merge.summary, cfg.update.corrections)
        if previous is not None:
            _check_something_to_learn(merge, cfg, previous_model.uri)

        counts = merge.training_counts
        _describe_splits(training, counts, TRAINING_SPLITS)
        _describe_splits(knowledge, merge.knowledge_counts, SPLITS)
        statistics.split_names = artifact_utils.encode_split_names(list(SPLITS))
        for artifact in (training, knowledge):
            write_labels(artifact.uri, merge.labels)
        summary = dict(merge.summary, labels=merge.labels, training_examples=counts,
                       previous_model=previous_model.uri if previous is not None else "",
                       knowledge_artifacts=dataclasses.asdict(PreviousKnowledge(
                           knowledge.uri, statistics.uri, kept.uri, new_examples.uri, merge.summary["knowledge_size"])))
        write_text(os.path.join(training.uri, UPDATE_FILE), json.dumps(summary, indent=2))
        training.set_string_custom_property("update_strategy", summary["strategy"])
        knowledge.set_int_custom_property("knowledge_size", summary["knowledge_size"])

        schema_file = io_utils.get_only_uri_in_dir(step.inputs[SCHEMA_KEY].uri)
        fileio.makedirs(kept.uri)
        fileio.copy(schema_file, os.path.join(kept.uri, "schema.pbtxt"), overwrite=True)

        if previous is None:
            line = f"knowledge base: {summary['knowledge_size']} examples, {len(merge.labels)} labels"
        else:
            line = (f"update ({summary['strategy']}): {summary['old']} previous examples, {summary['new']} new "
                    f"({summary['already_known']} already known, {summary['corrections']} corrections"
                    + (f", new labels {', '.join(summary['new_labels'])}" if summary["new_labels"] else "")
                    + f"); training on {counts['train']} examples"
                    + (f" ({summary['replayed']} replayed)" if summary["replayed"] else ""))
        # The run's progress line for this step reads it from ML Metadata (run_record.step_note).
        training.set_string_custom_property("summary", line)
        logger.info("%s", line)
