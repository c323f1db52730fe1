"""What a task family is handed to build, feed and train a model."""
import dataclasses
from typing import Any, Callable, Dict, List, Optional

from kerasknow.config import RunConfig

#: The config sections a training run reads: what the Tuner and the Trainer are handed (TFX
#: re-runs them exactly when these change) and what keys a resumable run's backup.
TRAINING_SECTIONS = ("model", "finetune", "tuning", "training", "update")


@dataclasses.dataclass
class TrainContext:
    """One training run's inputs, from TFX's `FnArgs` (or built by tests and benchmarks).

    Args:
        config: The run config (the sections the Tuner/Trainer read).
        labels: The label vocabulary (tags for NER), in class-id order.
        train_files: GZIP TFRecord files of the train split.
        eval_files: GZIP TFRecord files of the eval split.
        model_run_dir: Where TensorBoard logs of this run go.
        serving_model_dir: Where the SavedModel is exported.
        hyperparameters: The chosen hyperparameter values (for the resumable-backup key).
        plan: The `kerasknow.training.hardware_plan.HardwarePlan`, detected once per run; None
            until `with_plan()` (or the module file) sets it.
        run_id: The pipeline run (TFX's run id, which kerasknow's Tuner and Trainer executors
            hand on); it names the run's TensorBoard folder. Empty outside a pipeline run.
        update: The `kerasknow.update.update_plan.UpdatePlan` of the training examples (an update
            of a blessed model, or a first run); None for examples KnowledgeBase did not write.
        schedule_steps: Optimizer steps a learning-rate schedule spans (the Tuner's one-epoch
            trials on a subset); 0: the training run's own (`TaskFamily.schedule_steps`).

    Example:

    >>> ctx = TrainContext(RunConfig(), ["a", "b"], ["train.gz"], ["eval.gz"], "run", "export", {})
    >>> ctx.plan is None
    True
    """

    config: RunConfig
    labels: List[str]
    train_files: List[str]
    eval_files: List[str]
    model_run_dir: str
    serving_model_dir: str
    hyperparameters: Dict[str, Any]
    plan: Optional[Any] = None
    run_id: str = ""
    update: Optional[Any] = None
    schedule_steps: int = 0
    #: Values derived from the data once per run (train size, image sizes), by `cached()`.
    _cache: Dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()`'s value, computed on the first call for `key` and kept for the run.

        The Tuner, the Trainer and the exporter must agree on what is derived from the data
        (the epochs, an image size); computing it once per context guarantees it.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def tensorboard_dir(self, part: str) -> str:
        """This run's TensorBoard folder for `part` (`tuning`, `training`):
        `<output>/tensorboard/<run>/<part>` (`<output>/tensorboard/<part>` without a run id)."""
        import os

        return os.path.join(self.config.tensorboard_dir(self.run_id), part)

    def num_train_examples(self) -> int:
        """Records in the train files (one counting pass, no parsing; cached)."""
        def count() -> int:
            import tensorflow as tf

            from kerasknow.data.tfrecord_files import expand_tfrecord_files

            records = tf.data.TFRecordDataset(expand_tfrecord_files(self.train_files), compression_type="GZIP")
            return int(records.reduce(tf.constant(0, tf.int64), lambda n, _: n + 1))

        return self.cached("num_train_examples", count)

    def with_plan(self, family) -> "TrainContext":
        """Detects the family's `HardwarePlan` under this config, once, and keeps it."""
        if self.plan is None:
            self.plan = family.hardware_plan(self.config)
        return self
