"""The preamble every kerasknow executor shares: its config sections, its family, its artifacts."""
import abc
import dataclasses
import os
from typing import Any, Dict, List

from tfx.dsl.components.base import base_executor
from tfx.types import artifact, artifact_utils

from kerasknow.components.component_keys import CONFIG_KEY
from kerasknow.config import RunConfig


@dataclasses.dataclass
class StepContext:
    """What one execution of a kerasknow component works with.

    Args:
        config: The config sections the component was handed (others are `SectionNotGiven`).
        family: The task family of `config.task`.
        inputs: Input channel key -> its single artifact.
        outputs: Output channel key -> its single artifact.
        exec_properties: The execution's parameters as TFX passed them.
        run_id: The pipeline run this execution belongs to (TFX's `pipeline_run_id`); it names the
            run's `reports/<run>/` and `tensorboard/<run>/` folders. Empty when the executor runs
            outside a pipeline (no executor context).
    """

    config: RunConfig
    family: Any
    inputs: Dict[str, artifact.Artifact]
    outputs: Dict[str, artifact.Artifact]
    exec_properties: Dict[str, Any]
    run_id: str = ""

    def reports_dir(self, part: str) -> str:
        """This run's report folder for `part` (`ingest`, `validation`, `evaluation`)."""
        return os.path.join(self.config.reports_dir(self.run_id), part)

    def tensorboard_dir(self, part: str) -> str:
        """This run's TensorBoard folder for `part`: the TensorBoard run `<run>/<part>`."""
        return os.path.join(self.config.tensorboard_dir(self.run_id), part)


#: How a compiled Kubeflow pipeline tells kerasknow's executors the run (Kubeflow's V2 container
#: entrypoint hands its executors no pipeline run id): a container flag holding Kubeflow's
#: `{{$.pipeline_job_name}}`, which reaches the executor among its context's extra flags.
RUN_ID_FLAG = "--kerasknow_run_id"


def run_id_of(context) -> str:
    """The pipeline run id TFX handed an executor in its context, or the `RUN_ID_FLAG` among its
    flags (Kubeflow); "" without either."""
    if context is None:
        return ""
    run_id = getattr(context, "pipeline_run_id", None)
    if run_id:
        return run_id
    flags = list(getattr(context, "beam_pipeline_args", None) or []) + list(getattr(context, "extra_flags", None) or [])
    for flag in flags:
        if str(flag).startswith(RUN_ID_FLAG + "="):
            return str(flag).split("=", 1)[1]
    return ""


class KnowledgeExecutor(base_executor.BaseExecutor, abc.ABC):
    """Base of kerasknow's executors: `Do` builds the `StepContext`, `run` does the work."""

    def Do(self, input_dict: Dict[str, List[artifact.Artifact]],
           output_dict: Dict[str, List[artifact.Artifact]], exec_properties: Dict[str, Any]) -> None:
        from kerasknow.family.registry import get_task_family

        config = RunConfig.from_json(exec_properties[CONFIG_KEY])
        step = StepContext(
            config=config,
            family=get_task_family(config.task),
            inputs={key: artifact_utils.get_single_instance(value) for key, value in input_dict.items() if value},
            outputs={key: artifact_utils.get_single_instance(value) for key, value in output_dict.items()},
            exec_properties=exec_properties,
            run_id=run_id_of(self._context),
        )
        self.run(step)

    @abc.abstractmethod
    def run(self, step: StepContext) -> None:
        """Does the component's work; raise to fail the execution (outputs are then discarded)."""
