"""The run configuration shared by the CLI, the pipeline and the TFX module file."""
import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

from kerasknow.errors import ConfigError

TASKS = ("text-classification", "ner", "image-classification")

# Keras Tuner's learning-rate choices when the config names none: BERT fine-tuning wants ~1e-4 or
# less; a new image head on a frozen backbone learns fastest at ~1e-3 (docs/images.md).
DEFAULT_LEARNING_RATES = {
    "text-classification": [1e-4, 5e-5],
    "ner": [1e-4, 5e-5],
    "image-classification": [2e-3, 1e-3],
}


@dataclasses.dataclass
class RunConfig:
    """Everything one kerasknow pipeline run needs, checked when it is built.

    Loaded from YAML (`RunConfig.from_yaml`), overridden by CLI flags, and carried into TFX
    components and the module file as JSON (`to_json`/`from_json`).

    Example:

    >>> cfg = RunConfig(task="text-classification", data="bbc/", output="out")
    >>> cfg.serving_model_dir()
    'out/serving/knowledge'
    """

    task: str = "text-classification"
    data: str = ""
    output: str = "kerasknow-output"
    pipeline_name: str = ""
    model_name: str = "knowledge"
    serving_base: str = ""

    # Ingest.
    input_format: str = "auto"
    text_column: str = "text"
    label_column: str = "label"
    tag_column: int = -1
    eval_fraction: float = 0.2
    max_reject_fraction: float = 0.01

    # Knowledge validation.
    schema_path: str = ""
    min_examples_per_label: int = 5
    max_truncated_fraction: float = 0.25
    max_duplicate_fraction: float = 0.05
    fail_on_conflicting_labels: bool = True
    repair_bio: bool = False
    min_mentions_per_type: int = 5

    # Model and training.
    checkpoint: str = ""
    max_seq_length: int = 128
    backbone: str = "ResNet50"
    backbone_weights: str = ""
    image_size: int = 0
    fine_tune_blocks: int = 1
    epochs: int = 2
    batch_size: int = 16
    learning_rates: Optional[List[float]] = None  # None: DEFAULT_LEARNING_RATES[task]
    dropouts: List[float] = dataclasses.field(default_factory=lambda: [0.1])
    tuner_trials: int = 2
    tuner_max_examples: int = 256
    early_stopping_patience: int = 1
    mixed_precision: str = "auto"
    xla: str = "auto"
    tpu: str = ""
    seed: int = 42

    # Blessing.
    min_accuracy: float = 0.0
    min_f1: float = 0.0  # macro-F1 for classification, entity micro-F1 for NER

    # Tiny model for tests: a dict of BertConfig overrides used instead of a checkpoint.
    tiny_model: Optional[Dict[str, Any]] = None

    def __post_init__(self):
        if self.learning_rates is None and self.task in DEFAULT_LEARNING_RATES:
            self.learning_rates = list(DEFAULT_LEARNING_RATES[self.task])
        self.validate()

    def validate(self) -> None:
        """Raises `ConfigError` for any invalid field, naming it and how to fix it."""
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {TASKS}. Received: task={self.task!r}")
        for name in ("eval_fraction",):
            v = getattr(self, name)
            if not 0.0 < v < 1.0:
                raise ConfigError(f"{name} must be in (0, 1). Received: {name}={v!r}")
        for name in ("max_reject_fraction", "max_truncated_fraction", "max_duplicate_fraction",
                     "min_accuracy", "min_f1"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be in [0, 1]. Received: {name}={v!r}")
        for name in ("epochs", "batch_size", "tuner_trials", "max_seq_length"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f"{name} must be a positive integer. Received: {name}={v!r}")
        if self.max_seq_length > 512:
            raise ConfigError(
                f"max_seq_length must be at most 512 for BERT checkpoints. Received: max_seq_length={self.max_seq_length}"
            )
        for name in ("mixed_precision", "xla"):
            v = getattr(self, name)
            if v not in ("auto", "on", "off"):
                raise ConfigError(f"{name} must be 'auto', 'on' or 'off'. Received: {name}={v!r}")
        if not self.learning_rates or any(lr <= 0 for lr in self.learning_rates):
            raise ConfigError(f"learning_rates must be positive numbers. Received: learning_rates={self.learning_rates!r}")
        if not self.dropouts or any(not 0 <= d < 1 for d in self.dropouts):
            raise ConfigError(f"dropouts must be in [0, 1). Received: dropouts={self.dropouts!r}")
        if not self.model_name or "/" in self.model_name:
            raise ConfigError(f"model_name must be a non-empty name without '/'. Received: model_name={self.model_name!r}")

    # Derived paths.
    def resolved_pipeline_name(self) -> str:
        return self.pipeline_name or f"kerasknow-{self.task}"

    def serving_model_dir(self) -> str:
        """`<serving_base>/<model_name>`: TF Serving's model base path for this model."""
        base = self.serving_base or os.path.join(self.output, "serving")
        return os.path.join(base, self.model_name)

    def reports_dir(self) -> str:
        """Stable place for reports that must outlive a failed component run."""
        return os.path.join(self.output, "reports")

    def tensorboard_dir(self) -> str:
        return os.path.join(self.output, "tensorboard")

    # Serialisation.
    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: Dict[str, Any]) -> "RunConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"Unknown configuration keys {unknown}. Expected some of: {sorted(known)}."
            )
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_yaml(cls, path: str, **overrides: Any) -> "RunConfig":
        """Reads a YAML config; non-None `overrides` (e.g. CLI flags) win."""
        import yaml

        try:
            with open(path, encoding="utf-8") as f:
                values = yaml.safe_load(f) or {}
        except FileNotFoundError:
            raise ConfigError(f"Config file not found. Received: config={path!r}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"Config file {path} is not valid YAML: {e}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"Config file {path} must hold a mapping. Received: {type(values).__name__}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)
