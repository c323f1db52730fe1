"""The plug-in interface every task family implements.

The pipeline shape is fixed (ingest -> knowledge validation -> Keras Tuner -> Trainer ->
evaluation/blessing -> export -> push -> serve); a task family supplies the parts that differ:
the data reader, the checks TFDV lacks, the model builder, the input pipeline, the training
phases, the metrics and the serving signatures. The parts live in the family's own folder
(`kerasknow/text/`, `kerasknow/ner/`, `kerasknow/images/`); the class here only wires them.
Families register by name in `kerasknow.family.registry`; their declarations (formats, defaults)
are their `TaskSpec`.
"""
import abc
from typing import Any, Dict, Iterator, List, Optional, Sequence

from kerasknow.config import RunConfig
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.task_spec import TaskSpec
from kerasknow.training.train_context import TrainContext
from kerasknow.training.training_phase import TrainingPhase
from kerasknow.validation.finding import Finding


class TaskFamily(abc.ABC):
    """Base class of task families (text classification, NER, image classification)."""

    #: The family's declarations: name, input formats, default learning rates, tuner objective.
    spec: TaskSpec = None  # type: ignore[assignment]
    #: What `mixed_precision: auto` / `xla: auto` may turn on on a CPU: only what measured
    #: faster for the family's models (see `HardwarePlan`).
    cpu_auto_bfloat16: bool = False
    cpu_auto_xla: bool = False
    #: The model outputs probabilities (the image classifier), not logits (the BERT families).
    outputs_probabilities: bool = False
    #: `label_with_old_model` changes examples (NER's background shift); KnowledgeBase skips the
    #: old model's pass for families where it would not.
    relabels_with_old_model: bool = False
    #: An update may weight each training example by its class (`update.class_balance`): one
    #: class id per example. NER's labels are per token, so it trains unweighted.
    weights_update_classes: bool = True

    @property
    def name(self) -> str:
        """The registry name, also the `--task` value."""
        return self.spec.name

    @property
    def label_feature(self) -> str:
        """The tf.Example feature holding the label (a string, or the tags for NER)."""
        return self.spec.label_feature

    @property
    def tuner_objective(self) -> str:
        """The validation metric Keras Tuner maximises."""
        return self.spec.tuner_objective

    def hardware_plan(self, config: RunConfig):
        """The `HardwarePlan` (device, precision, XLA) this family trains with under `config`.

        Detect it once per run (`TrainContext.with_plan`) and read `ctx.plan` after that.
        """
        from kerasknow.training.hardware_plan import HardwarePlan

        t = config.training
        return HardwarePlan.detect(t.mixed_precision, t.xla, t.tpu,
                                   cpu_bfloat16=self.cpu_auto_bfloat16, cpu_xla=self.cpu_auto_xla)

    # ---- ingest --------------------------------------------------------------------------
    @abc.abstractmethod
    def read(self, config: RunConfig, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields usable records from `config.data`; calls `report.accept()` for each one and
        `report.reject(source, line, reason)` for every unusable one."""

    def read_parts(self, config: RunConfig) -> List[str]:
        """The pieces of `config.data` that ingest reads independently, in parallel (Beam).

        Each part is read as `config.data` on its own with `read`, and the parts' records and
        rejects, taken in this order, are exactly what `read` gives for the whole of `config.data`.
        By default the data is one part; families whose data can be a folder of files read each
        file as a part. Raises `DataError` for data `read` would refuse as a whole (a missing path).
        """
        return [config.data]

    @abc.abstractmethod
    def to_example(self, record: KnowledgeRecord):
        """Returns the `tf.train.Example` for a record."""

    def labels_of(self, record: KnowledgeRecord) -> Sequence[str]:
        """The label strings of a record (one for classification, the tags for NER)."""
        value = record.features[self.label_feature]
        return value if isinstance(value, (list, tuple)) else [value]

    # ---- decoded examples (knowledge updates) --------------------------------------------
    @abc.abstractmethod
    def example_key(self, example: Dict[str, List[Any]]) -> str:
        """The identity of a decoded example, as its record's key: the same text (image, sentence)
        in the old and the new knowledge has the same key."""

    def example_labels(self, example: Dict[str, List[Any]]) -> List[str]:
        """The label strings of a decoded example (classification: one; NER: its tags)."""
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in example.get(self.label_feature, [])]

    def example_classes(self, example: Dict[str, List[Any]]) -> List[str]:
        """What a class-balanced sample balances over: the label (NER: the entity types present,
        `O` for a sentence without entities)."""
        return self.example_labels(example)

    def label_with_old_model(self, examples: List[Any], saved_model_dir: str, old_labels: List[str],
                             new_labels: Optional[Sequence[str]] = None) -> List[Any]:
        """New training examples `(decoded, serialised)` with labels the old model adds (an update's
        background shift); unchanged by default. NER takes the old model's tags for old entity
        types the new knowledge leaves as `O`.

        Args:
            examples: A batch of the new training examples.
            saved_model_dir: The old (blessed) model's SavedModel.
            old_labels: The old label vocabulary.
            new_labels: Every label of the whole new training split (a batch does not see them
                all); None: the batch's own.
        """
        return examples

    def with_labels(self, example: Dict[str, List[Any]], labels: Sequence[str]) -> Dict[str, List[Any]]:
        """A copy of a decoded example with its label feature replaced (corrections, pseudo-labels)."""
        out = dict(example)
        out[self.label_feature] = [str(v).encode("utf-8") for v in labels]
        return out

    # ---- knowledge validation ------------------------------------------------------------
    @abc.abstractmethod
    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        """Checks TFDV lacks, over decoded examples per split (`{"train": [...], "eval": [...]}`,
        each example a dict feature name -> Python value(s))."""

    def knowledge_checks_transform(self, config: RunConfig):
        """`knowledge_checks` as a Beam `PTransform` over the whole data set, or None.

        The transform takes a PCollection of `(split, serialised tf.Example)` and gives one element,
        the list of `Finding`s `knowledge_checks` gives on the same examples, combining per key
        and globally so no worker holds every example. None (the default): the validator decodes
        the examples and calls `knowledge_checks` in memory.
        """
        return None

    # ---- model ---------------------------------------------------------------------------
    @abc.abstractmethod
    def build_model(self, hp, ctx: TrainContext):
        """Returns a compiled `tf.keras` model; `hp` is a `keras_tuner.HyperParameters`.

        Args:
            hp: The hyperparameters (the search space while tuning, the chosen values after).
            ctx: The training context; `ctx.plan` is set.
        """

    @abc.abstractmethod
    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        """Returns `(train_ds, eval_ds)` of `tf.data.Dataset` ready for `model.fit`."""

    def default_epochs(self, ctx: TrainContext) -> int:
        """Epochs when `training.epochs` is unset; families whose small data needs more override
        it with a rule on the data's size (documented with its measurements)."""
        return 2

    def epochs(self, ctx: TrainContext) -> int:
        """`training.epochs`, or `default_epochs(ctx)` when it is unset (computed once per run).

        A warm-started update trains half the default epochs (at least one): it starts from a
        model that already fits the old knowledge (docs/knowledge-update.md has the measurements).
        """
        if ctx.config.training.epochs:
            return ctx.config.training.epochs

        def default() -> int:
            epochs = self.default_epochs(ctx)
            if ctx.update is not None and ctx.update.is_update and ctx.config.update.warm_start:
                epochs = max(1, epochs // 2)
            return epochs

        return ctx.cached("default_epochs", default)

    def early_stopping_start(self, ctx: TrainContext) -> int:
        """Epochs early stopping lets pass before it may stop the run (Keras' `start_from_epoch`).

        0 by default; a family whose validation loss misleads early in training waits longer
        (NER: until the steps its default epochs are sized for, `kerasknow.ner.ner_schedule`).
        """
        return 0

    def finetune_strategy(self, ctx: TrainContext) -> str:
        """`finetune.strategy` with `auto` resolved to the family's default (`TaskSpec`)."""
        return self.spec.finetune_strategy(ctx.config.finetune.strategy)

    def schedule_steps(self, ctx: TrainContext) -> int:
        """Optimizer steps of the run, which a learning-rate schedule spans: `ctx.schedule_steps`
        when set (a tuner trial), else epochs x batches of the train split."""
        import math

        if ctx.schedule_steps:
            return ctx.schedule_steps
        batches = math.ceil(ctx.num_train_examples() / ctx.config.training.batch_size)
        return max(1, self.epochs(ctx) * batches)

    def phases(self, model, ctx: TrainContext) -> List[TrainingPhase]:
        """The phases `fit` trains in; one phase of `epochs(ctx)` unless the family says
        otherwise (images: the head on a frozen backbone, then the top blocks)."""
        return [TrainingPhase("full", self.epochs(ctx))]

    def fit(self, model, train_ds, eval_ds, callbacks: list, ctx: TrainContext):
        """Trains `model` through `phases(model, ctx)`; returns the last phase's `History`
        (`history.phases` holds each phase's). An optimizer that keeps a moving average of the
        weights (`training.ema_momentum`) has it validated and kept (`MovingAverageValidation`)."""
        from kerasknow.training.callbacks import fit_verbosity
        from kerasknow.training.fit_phases import fit_phases
        from kerasknow.training.moving_average_validation import MovingAverageValidation

        if getattr(model.optimizer, "use_ema", False):
            # First, so early stopping and the board see the averaged weights' validation.
            callbacks = [MovingAverageValidation()] + list(callbacks)
        return fit_phases(model, self.phases(model, ctx), train_ds, eval_ds, callbacks, verbose=fit_verbosity())

    # ---- evaluation and export -----------------------------------------------------------
    def retention(self, candidate_dir: str, blessed_dir: str, old_examples: List[Dict[str, Any]],
                  old_labels: List[str], max_forgetting: float) -> Dict[str, Any]:
        """What the candidate kept of the old knowledge (`kerasknow.metrics.retention`), on old
        held-out examples, against the blessed model; classifiers by default."""
        from kerasknow.metrics.retention import classification_retention
        from kerasknow.metrics.served_classifier_eval import served_probabilities

        (name, inputs), = self.serving_inputs(old_examples).items()
        index = {label: i for i, label in enumerate(old_labels)}
        y_true = [index[self.example_labels(ex)[0]] for ex in old_examples]
        return classification_retention(served_probabilities(blessed_dir, name, inputs),
                                        served_probabilities(candidate_dir, name, inputs), y_true, old_labels,
                                        max_forgetting)

    def baseline(self, eval_examples: List[Dict[str, Any]]):
        """The trivial predictor a model must beat to be blessed (`kerasknow.metrics.baseline`):
        by default the majority class of the eval split's `label_feature`."""
        from kerasknow.metrics.baseline import classification_baseline

        return classification_baseline([ex[self.label_feature][0].decode("utf-8") for ex in eval_examples])

    @abc.abstractmethod
    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        """Writes a SavedModel with `serving_default` on raw input and `serving_examples` on
        serialised tf.Examples."""

    @abc.abstractmethod
    def serving_inputs(self, examples: List[Dict[str, Any]]) -> Dict[str, List[bytes]]:
        """What a client sends `serving_default` for decoded examples: input name -> one raw
        value per example (the pusher's warm-up requests and preflight are built from it).

        Args:
            examples: Decoded examples (`kerasknow.data.example_codec.decode_example`).
        """

    @abc.abstractmethod
    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]],
                 labels: List[str], config: RunConfig) -> Dict[str, Any]:
        """Scores the exported SavedModel on the eval examples through one of its signatures
        (classification: `serving_default` on the raw input; NER: `serving_examples` on the
        labelled tokens, so predictions line up with the gold tags).

        Args:
            saved_model_dir: The exported SavedModel's folder, or a
                `kerasknow.metrics.signature_caller.SignatureCaller` that calls a served model's
                signatures (`kerasknow evaluate`); the families pass it on to their scoring code.
            eval_examples: Decoded eval examples (`kerasknow.data.example_codec.decode_example`).
            labels: The label vocabulary the model was trained with.
            config: The run config (the sections the evaluator reads).

        Returns:
            A JSON-serialisable dict with at least `accuracy` (token accuracy for NER), `f1`
            (macro-F1 for classification, entity micro-F1 for NER), `scalars` (name -> float, all
            logged to TensorBoard) and `per_class` (label or entity type -> precision, recall,
            f1, support); classification adds `confusion_matrix` (rows true, columns predicted,
            in `labels` order) and `pr_curves` (`kerasknow.metrics.pr_curves.pr_curve_data`).
        """

    def evaluate_new_knowledge(self, saved_model_dir: str, new_examples: List[Dict[str, Any]],
                               labels: List[str], config: RunConfig, plan) -> Dict[str, Any]:
        """`evaluate` on an update's held-out new knowledge. A family whose new knowledge leaves
        old classes unannotated (NER's background shift) scores there only what it annotates.

        Args:
            saved_model_dir: The candidate's exported SavedModel folder.
            new_examples: Decoded held-out examples of the new knowledge (`eval_new`).
            labels: The candidate's label vocabulary.
            config: The run config.
            plan: The update's `kerasknow.update.update_plan.UpdatePlan` (the blessed model's
                labels, the new knowledge's).

        Returns:
            `evaluate`'s dict.
        """
        return self.evaluate(saved_model_dir, new_examples, labels, config)

    def evaluate_knowledge(self, saved_model_dir: str, old_examples: List[Dict[str, Any]],
                           new_examples: List[Dict[str, Any]], labels: List[str], config: RunConfig,
                           plan) -> Dict[str, Any]:
        """`evaluate` on an update's whole held-out knowledge, old and new: the figures every run's
        thresholds judge. The new part is scored as `evaluate_new_knowledge` scores it.

        Args:
            saved_model_dir: The candidate's exported SavedModel folder.
            old_examples: Decoded held-out examples of the old knowledge (`eval_old`).
            new_examples: Decoded held-out examples of the new knowledge (`eval_new`).
            labels: The candidate's label vocabulary.
            config: The run config.
            plan: The update's `kerasknow.update.update_plan.UpdatePlan`.

        Returns:
            `evaluate`'s dict.
        """
        return self.evaluate(saved_model_dir, list(old_examples) + list(new_examples), labels, config)
