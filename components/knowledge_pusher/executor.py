"""KnowledgePusher's executor."""
import json
import logging
import os
from typing import Dict, List

from tfx.components.util import model_utils
from tfx.dsl.io import fileio
from tfx.utils import path_utils

from kerasknow.components.component_io import copy_tree, read_split, write_text
from kerasknow.components.component_keys import (EXAMPLES_KEY, MODEL_BLESSING_KEY, MODEL_KEY, PREFLIGHT_KEY,
                                                  PUSHED_MODEL_KEY)
from kerasknow.components.knowledge_executor import KnowledgeExecutor, StepContext
from kerasknow.config import setting
from kerasknow.errors import PreflightError

logger = logging.getLogger(__name__)

BATCHING_CONFIG = "batching.config"
MONITORING_CONFIG = "monitoring.config"
# Eval examples the preflight compares on when no warm-up requests are kept.
PREFLIGHT_EXAMPLES = 4


def expected_inputs(inputs: Dict[str, List]) -> Dict[str, str]:
    """Input name -> the dtype name the signature must take, for the family's raw inputs."""
    import numpy as np

    return {name: "string" if isinstance(values[0], (bytes, str)) else np.asarray(values).dtype.name
            for name, values in inputs.items()}


class Executor(KnowledgeExecutor):
    """Preflights, pushes, labels and retires (see `KnowledgePusher`)."""

    def run(self, step: StepContext) -> None:
        from kerasknow.serving.model_release import CANARY, STABLE, ModelRelease, wait_until_available
        from kerasknow.serving.preflight import render_preflight, run_preflight
        from kerasknow.serving.warmup_requests import WARMUP_DIR, predict_requests, write_warmup_requests

        cfg, serving = step.config, step.config.serving
        model, blessing, examples = step.inputs[MODEL_KEY], step.inputs[MODEL_BLESSING_KEY], step.inputs[EXAMPLES_KEY]
        pushed, preflight = step.outputs[PUSHED_MODEL_KEY], step.outputs[PREFLIGHT_KEY]
        reports = step.reports_dir("serving")

        def record(report: Dict, text: str) -> str:
            write_text(os.path.join(preflight.uri, "preflight.json"), json.dumps(report, indent=2))
            write_text(os.path.join(preflight.uri, "preflight.txt"), text)
            copy_tree(preflight.uri, reports)
            return os.path.join(reports, "preflight.txt")

        if not model_utils.is_model_blessed(blessing):
            record({"ok": None, "problems": [], "skipped": "the model was not blessed"},
                   "preflight: not run (the model was not blessed, so it is not pushed)\n")
            pushed.set_int_custom_property("pushed", 0)
            pushed.set_string_custom_property("summary", "the model was not blessed; nothing pushed")
            logger.info("Push: the model was not blessed; nothing pushed.")
            return

        release = ModelRelease(cfg.serving_model_dir())
        source = path_utils.serving_model_path(model.uri, path_utils.is_old_model_artifact(model))
        version = release.find_pushed(model.uri)
        if version is not None:
            record({"ok": True, "problems": [], "reused": version},
                   f"preflight: this model was pushed before as version {version} (its preflight passed then); "
                   "not pushed again\n")
            note = f"this model is version {version} already; not pushed again"
            logger.info("Push: %s.", note)
        else:
            count = serving.warmup_requests or PREFLIGHT_EXAMPLES
            eval_examples = read_split(examples, "eval")[:count]
            inputs = step.family.serving_inputs(eval_examples)
            label = CANARY if serving.canary else STABLE
            staging = release.stage(source, source=model.uri, label=label)
            try:
                write_warmup_requests(staging, predict_requests(serving.model_name, inputs))
                report = run_preflight(staging, expected_inputs(inputs))
                if not serving.warmup_requests:  # used for the preflight only
                    fileio.remove(os.path.join(staging, WARMUP_DIR, "tf_serving_warmup_requests"))
                report_path = record(report, render_preflight(report))
                if not report["ok"]:
                    raise PreflightError(
                        "The preflight found that TF Serving 2.16 would not serve this model, so nothing was "
                        f"pushed: {' '.join(report['problems'])} Report: {report_path}", report_path)
                with release.lock():
                    version = release.commit(staging)
            except BaseException:
                release.discard(staging)
                raise
            note = f"pushed version {version}" + self._label(release, version, serving, wait_until_available)
        self._write_server_files(release.serving_base, serving)
        with release.lock():
            removed = release.retire(serving.keep_versions)
        destination = release.version_dir(version)
        pushed.set_int_custom_property("pushed", 1)
        pushed.set_string_custom_property("pushed_destination", destination)
        pushed.set_string_custom_property("pushed_version", str(version))
        _, labels = release.entry()
        if removed:
            note += f"; removed old versions {removed} ({setting('serving.keep_versions')})"
        # The run's progress line for this step reads it from ML Metadata (run_record.step_note).
        pushed.set_string_custom_property("summary", note)
        logger.info("Push: %s to %s; labels %s in %s", note, destination, labels, release.config.path)

    @staticmethod
    def _label(release, version: int, serving, wait_until_available) -> str:
        """Adds `version` to models.config and moves its label where TF Serving allows it.

        Returns:
            "" when the label moved (or none was asked for), else the words saying why it stays
            and the command that moves it later.
        """
        pending = release.add_version(version, canary=serving.canary)
        if pending is None:
            return ""
        if serving.server:
            if wait_until_available(serving.server, release.model_name, version, serving.label_wait_seconds):
                release.move_label(pending, version)
                return ""
            message = (f"{serving.server} did not load version {version} within {serving.label_wait_seconds:g} s "
                       f"({setting('serving.label_wait_seconds')})")
        else:
            message = f"no server to wait for ({setting('serving.server')} is empty)"
        logger.warning("Push: version %s is in %s, but the %r label stays where it is: %s, and TF Serving refuses "
                       "a label on a version it has not loaded.", version, release.config.path, pending, message)
        return (f"; the {pending!r} label stays where it is ({message}): once the server has loaded it, "
                f"kerasknow promote --model-base-path {release.base_path}")

    @staticmethod
    def _write_server_files(serving_base: str, serving) -> None:
        from kerasknow.serving.batching_parameters import batching_file_text
        from kerasknow.serving.serving_protos import monitoring_config_text

        header = "# Written by kerasknow's pusher from the run config's serving section.\n"
        write_text(os.path.join(serving_base, BATCHING_CONFIG), header + batching_file_text(
            serving.max_batch_size, serving.batch_timeout_micros, serving.num_batch_threads,
            serving.max_enqueued_batches))
        write_text(os.path.join(serving_base, MONITORING_CONFIG), header + monitoring_config_text())
