"""TFX's Tuner and Trainer executors, handing `tuner_fn` / `run_fn` the pipeline run id.

The run id names the run's TensorBoard folders (`tensorboard/<run>/tuning`, `.../training`). It is
added to `custom_config` when the execution starts, from the executor context TFX gives every
executor, never to the component's parameters: TFX caches a step on its parameters, and a
parameter that changed every run would defeat the cache.

Both give the process its mixed-precision policy back when they end (`keeping_global_policy`):
the hardware plan sets it for the step, and local orchestrators run steps in the caller's process.
"""
import json
from typing import Any, Dict

from tfx.components.trainer import executor as trainer_executor
from tfx.components.tuner import executor as tuner_executor
from tfx.types import standard_component_specs

from kerasknow.components.knowledge_executor import run_id_of
from kerasknow.tfx_module import RUN_ID_KEY
from kerasknow.training.hardware_plan import keeping_global_policy


def with_run_id(exec_properties: Dict[str, Any], run_id: str) -> Dict[str, Any]:
    """A copy of `exec_properties` whose JSON `custom_config` also holds `RUN_ID_KEY: run_id`."""
    key = standard_component_specs.CUSTOM_CONFIG_KEY
    custom_config = json.loads(exec_properties.get(key) or "null") or {}
    return {**exec_properties, key: json.dumps({**custom_config, RUN_ID_KEY: run_id}, sort_keys=True)}


class TunerExecutor(tuner_executor.Executor):
    """TFX's Tuner executor; `fn_args.custom_config[RUN_ID_KEY]` is the pipeline run id."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        with keeping_global_policy():
            return super().Do(input_dict, output_dict, with_run_id(exec_properties, run_id_of(self._context)))


class TrainerExecutor(trainer_executor.GenericExecutor):
    """TFX's generic Trainer executor; `fn_args.custom_config[RUN_ID_KEY]` is the pipeline run id."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        with keeping_global_policy():
            return super().Do(input_dict, output_dict, with_run_id(exec_properties, run_id_of(self._context)))
