"""The plug-in interface every task family implements.

The pipeline shape is fixed (ingest -> knowledge validation -> Keras Tuner -> Trainer ->
evaluation/blessing -> export -> push -> serve); a task family supplies the parts that differ:
the data reader, the checks TFDV lacks, the model builder, the input pipeline, the metrics and
the serving signatures. Families register themselves by name in `kerasknow.tasks.registry`.
"""
import abc
import dataclasses
from typing import Any, Dict, Iterator, List, Sequence

from kerasknow.config import RunConfig
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport


@dataclasses.dataclass
class Finding:
    """One knowledge-validation result.

    Args:
        check: Short machine name, e.g. `"conflicting_labels"`.
        severity: `"error"` stops the pipeline before training; `"warning"` is reported only;
            `"info"` is a measurement.
        message: Readable sentence with the numbers.
        details: JSON-serialisable evidence (examples, counts).
    """

    check: str
    severity: str
    message: str
    details: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.severity not in ("error", "warning", "info"):
            raise ValueError(f"severity must be 'error', 'warning' or 'info'. Received: severity={self.severity!r}")


@dataclasses.dataclass
class TrainContext:
    """What the TFX module file hands a family for training (from `FnArgs`)."""

    config: RunConfig
    labels: List[str]
    train_files: List[str]
    eval_files: List[str]
    model_run_dir: str
    serving_model_dir: str
    hyperparameters: Dict[str, Any]


class TaskFamily(abc.ABC):
    """Base class of task families (text classification, NER, image classification)."""

    #: Registry name, also the `--task` value.
    name: str = ""
    #: Name of the label feature in the tf.Examples (a string or a list of strings).
    label_feature: str = "label"
    #: The validation metric Keras Tuner maximises (a name `model.fit` logs).
    tuner_objective: str = "val_accuracy"
    #: What `mixed_precision: auto` / `xla: auto` may turn on on a CPU: only what measured
    #: faster for the family's models (see `HardwarePlan`).
    cpu_auto_bfloat16: bool = False
    cpu_auto_xla: bool = False

    def hardware_plan(self, config: RunConfig):
        """The `HardwarePlan` (device, precision, XLA) this family trains with under `config`."""
        from kerasknow.training.hardware_plan import HardwarePlan

        return HardwarePlan.detect(config.mixed_precision, config.xla, config.tpu,
                                   cpu_bfloat16=self.cpu_auto_bfloat16, cpu_xla=self.cpu_auto_xla)

    # ---- ingest --------------------------------------------------------------------------
    @abc.abstractmethod
    def read(self, config: RunConfig, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields usable records from `config.data`; calls `report.accept()` for each one and
        `report.reject(source, line, reason)` for every unusable one."""

    @abc.abstractmethod
    def to_example(self, record: KnowledgeRecord):
        """Returns the `tf.train.Example` for a record."""

    def labels_of(self, record: KnowledgeRecord) -> Sequence[str]:
        """The label strings of a record (one for classification, the tags for NER)."""
        value = record.features[self.label_feature]
        return value if isinstance(value, (list, tuple)) else [value]

    # ---- knowledge validation ------------------------------------------------------------
    @abc.abstractmethod
    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        """Checks TFDV lacks, over decoded examples per split (`{"train": [...], "eval": [...]}`,
        each example a dict feature name -> Python value(s))."""

    # ---- model ---------------------------------------------------------------------------
    @abc.abstractmethod
    def build_model(self, hp, config: RunConfig, labels: List[str]):
        """Returns a compiled `tf.keras` model; `hp` is a `keras_tuner.HyperParameters`."""

    @abc.abstractmethod
    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        """Returns `(train_ds, eval_ds)` of `tf.data.Dataset` ready for `model.fit`."""

    def fit(self, model, train_ds, eval_ds, callbacks: list, ctx: TrainContext):
        """Trains `model`; families with phases (frozen backbone, then fine-tuning) override."""
        from kerasknow.training.callbacks import fit_verbosity

        return model.fit(train_ds, validation_data=eval_ds, epochs=ctx.config.epochs,
                         callbacks=callbacks, verbose=fit_verbosity())

    # ---- evaluation and export -----------------------------------------------------------
    @abc.abstractmethod
    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        """Writes a SavedModel with `serving_default` on raw input and `serving_examples` on
        serialised tf.Examples."""

    @abc.abstractmethod
    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]],
                 labels: List[str], config: RunConfig) -> Dict[str, Any]:
        """Scores the exported SavedModel on the eval examples through one of its signatures
        (classification: `serving_default` on the raw input; NER: `serving_examples` on the
        labelled tokens, so predictions line up with the gold tags).

        Args:
            saved_model_dir: The exported SavedModel.
            eval_examples: Decoded eval examples (`kerasknow.data.example_codec.decode_example`).
            labels: The label vocabulary the model was trained with.
            config: The run config.

        Returns:
            A JSON-serialisable dict with at least `accuracy` (token accuracy for NER), `f1`
            (macro-F1 for classification, entity micro-F1 for NER), `scalars` (name -> float, all
            logged to TensorBoard) and `per_class` (label or entity type -> precision, recall,
            f1, support); classification adds `confusion_matrix` (rows true, columns predicted,
            in `labels` order).
        """
