"""The run configuration shared by the CLI, the pipeline, the components and the TFX module file."""
import dataclasses
import json
import os
from typing import Any, Dict, Iterable, Mapping, Optional

from kerasknow.config.sections import (SECTION_TYPES, BlessingConfig, FinetuneConfig, IngestConfig, ModelConfig,
                                       ServingConfig, TrainingConfig, TuningConfig, UpdateConfig,
                                       ValidationConfig)
from kerasknow.config.settings import setting
from kerasknow.config.task_specs import TASK_SPECS, TASKS
from kerasknow.errors import ConfigError

#: The SQLite ML Metadata file of local runs, in `local_state_dir(output)`.
METADATA_NAME = "metadata.sqlite"


def is_uri(path: str) -> bool:
    """True for a path on a file system other than the local one (`gs://b/x`, `s3://...`, `ram://...`).

    >>> is_uri("gs://bucket/run"), is_uri("out/run")
    (True, False)
    """
    return "://" in str(path)


def local_state_dir(output: str) -> str:
    """The output folder itself, or for an output on another file system a local folder named by
    its URI (`$KERASKNOW_CACHE/outputs/<sha256>`, default under `~/.cache/kerasknow`): SQLite's
    ML Metadata and the run log need a local file, while artifacts, reports, TensorBoard data and
    the pushed models go to the URI.

    >>> local_state_dir("out")
    'out'
    """
    if not is_uri(output):
        return output
    import hashlib

    root = os.environ.get("KERASKNOW_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kerasknow")
    return os.path.join(root, "outputs", hashlib.sha256(str(output).rstrip("/").encode()).hexdigest()[:16])


#: Top-level fields. `task` and `output` go to every step; `data` and `pipeline_name` only where
#: asked for (KnowledgeExampleGen reads `data`).
TOP_LEVEL = ("task", "data", "output", "pipeline_name")
ALWAYS = ("task", "output")


class SectionNotGiven:
    """Stands for a config section a step was not handed; reading any field of it is an error.

    A step that reads a section it did not declare would otherwise see defaults silently, and TFX
    would not re-run it when that section changed.
    """

    def __init__(self, name: str):
        self._section = name

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise ConfigError(
            f"This step was not handed the config section {self._section!r} (it read "
            f"{self._section}.{attr}). Each step gets only the sections it declares, so TFX re-runs it "
            f"exactly when they change: add {self._section!r} to the step's CONFIG_SECTIONS.")

    def __repr__(self) -> str:
        return f"SectionNotGiven({self._section!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, SectionNotGiven) and other._section == self._section


def _given(value: Any) -> bool:
    return not isinstance(value, SectionNotGiven)


def _section_from_dict(name: str, values: Mapping[str, Any]):
    cls = SECTION_TYPES[name]
    if not isinstance(values, Mapping):
        raise ConfigError(f"Config section {name!r} must be a mapping of fields. Received: {name}={values!r}")
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"Unknown fields {unknown} in config section {name!r}. Expected some of: {known}.")
    return cls(**values)


@dataclasses.dataclass
class RunConfig:
    """Everything one kerasknow pipeline run needs, in sections, checked when it is built.

    Loaded from YAML (`RunConfig.from_yaml`), overridden by CLI flags (`with_overrides`), and
    carried into each TFX component as JSON holding only the sections it reads
    (`to_json(sections)` / `from_json`).

    Args:
        task: The task family (`TASKS`).
        data: The knowledge data, a file or folder.
        output: The output folder (metadata, artifacts, reports, serving).
        pipeline_name: The TFX pipeline name; empty for `kerasknow-<task>`.
        ingest, validation, model, finetune, tuning, training, update, blessing, serving: The sections
            (`kerasknow.config.sections`); each also takes a dict of its fields.

    Raises:
        ConfigError: For an invalid value, naming the flag or YAML field that fixes it.

    Example:

    >>> cfg = RunConfig(task="text-classification", data="bbc/", output="out", training={"epochs": 3})
    >>> cfg.training.epochs, cfg.serving_model_dir()
    (3, 'out/serving/knowledge')
    >>> cfg.with_overrides({"blessing.min_f1": 0.5}).blessing.min_f1
    0.5
    """

    task: str = "text-classification"
    data: str = ""
    output: str = "kerasknow-output"
    pipeline_name: str = ""
    ingest: IngestConfig = dataclasses.field(default_factory=IngestConfig)
    validation: ValidationConfig = dataclasses.field(default_factory=ValidationConfig)
    model: ModelConfig = dataclasses.field(default_factory=ModelConfig)
    finetune: FinetuneConfig = dataclasses.field(default_factory=FinetuneConfig)
    tuning: TuningConfig = dataclasses.field(default_factory=TuningConfig)
    training: TrainingConfig = dataclasses.field(default_factory=TrainingConfig)
    update: UpdateConfig = dataclasses.field(default_factory=UpdateConfig)
    blessing: BlessingConfig = dataclasses.field(default_factory=BlessingConfig)
    serving: ServingConfig = dataclasses.field(default_factory=ServingConfig)

    def __post_init__(self):
        for name, cls in SECTION_TYPES.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                setattr(self, name, _section_from_dict(name, value))
            elif value is None:
                setattr(self, name, cls())
            elif not isinstance(value, (cls, SectionNotGiven)):
                raise ConfigError(f"Config section {name!r} must be a {cls.__name__} or a dict. "
                                  f"Received: {name}={value!r}")
        self.validate()

    @property
    def spec(self):
        """The task family's `kerasknow.task_spec.TaskSpec`."""
        return TASK_SPECS[self.task]

    def validate(self) -> None:
        """Raises `ConfigError` for any invalid field of the sections this config holds."""
        if self.task not in TASKS:
            raise ConfigError(f"--task must be one of {', '.join(TASKS)}. Received: task={self.task!r}")
        for name in SECTION_TYPES:
            section = getattr(self, name)
            if _given(section):
                section.validate()
        if _given(self.finetune) and self.finetune.strategy != "auto" and (
                self.finetune.strategy not in self.spec.finetune_strategies):
            bert = [name for name, spec in TASK_SPECS.items() if self.finetune.strategy in spec.finetune_strategies]
            raise ConfigError(
                f"{setting('finetune.strategy')} {self.finetune.strategy!r} is for {', '.join(bert)} only (it "
                f"adapts BERT's attention and feed-forward layers); {self.task} expects one of auto, "
                f"{', '.join(self.spec.finetune_strategies)}. Received: strategy={self.finetune.strategy!r}")
        if _given(self.training) and self.training.ema_momentum and not self.spec.weight_averaging:
            takes = [name for name, spec in TASK_SPECS.items() if spec.weight_averaging]
            raise ConfigError(
                f"{setting('training.ema_momentum')} is for {', '.join(takes)} only for now; {self.task} trains "
                "without a moving average of its weights. Received: "
                f"ema_momentum={self.training.ema_momentum!r}. Fix: drop --ema-momentum (or set it to 0).")
        if (_given(self.finetune) and _given(self.training) and self.finetune.head_epochs
                and self.training.epochs is not None and self.finetune.head_epochs >= self.training.epochs):
            raise ConfigError(
                f"{setting('finetune.head_epochs')} must leave epochs for the second phase: it must be below "
                f"{setting('training.epochs')} ({self.training.epochs}). Received: "
                f"head_epochs={self.finetune.head_epochs}. Fix: raise --epochs, lower --head-epochs, or use "
                "--finetune head for the head alone.")
        if _given(self.tuning):
            allowed = ("auto",) + tuple(self.spec.finetune_strategies)
            wrong = [s for s in (self.tuning.strategies or []) if s not in allowed]
            if wrong:
                raise ConfigError(
                    f"{setting('tuning.strategies')} may name only the strategies {self.task} takes: "
                    f"{', '.join(allowed)}. Received: strategies={self.tuning.strategies!r}")
            searched = {self.spec.finetune_strategy(s) for s in (self.tuning.strategies or [])}
            phased = sorted(searched & set(self.spec.phased_strategies))
            if len(searched) > 1 and phased and self.tuning.epochs < 2:
                # One epoch per trial is all head phase: every strategy trains the same thing,
                # and the search picks among them by noise (docs/finetuning.md).
                raise ConfigError(
                    f"A search over several {self.task} strategies needs {setting('tuning.epochs')} of at "
                    f"least 2: {', '.join(phased)} train the head alone in their first epoch and open the "
                    f"backbone after, so one-epoch trials cannot tell the strategies apart. Received: "
                    f"epochs={self.tuning.epochs}, strategies={self.tuning.strategies!r}. Fix: pass "
                    f"--tuner-epochs 2 (or more), or search one strategy.")
        if _given(self.ingest) and self.ingest.input_format not in self.spec.input_formats:
            raise ConfigError(
                f"{setting('ingest.input_format')} must be one of {', '.join(self.spec.input_formats)} for "
                f"{self.task}. Received: input_format={self.ingest.input_format!r}")

    # Derived paths.
    def resolved_pipeline_name(self) -> str:
        return self.pipeline_name or f"kerasknow-{self.task}"

    def serving_model_dir(self) -> str:
        """`<serving.base_path>/<serving.model_name>`: TF Serving's model base path for this model."""
        base = self.serving.base_path or os.path.join(self.output, "serving")
        return os.path.join(base, self.serving.model_name)

    def reports_dir(self, run_id: str = "") -> str:
        """Where a run's reports go, outliving a failed component run: `<output>/reports/<run_id>`.

        Without a run id (an executor called outside a pipeline run) `<output>/reports`.
        """
        return os.path.join(self.output, "reports", run_id) if run_id else os.path.join(self.output, "reports")

    def local_dir(self) -> str:
        """Where the files that must be local go (`local_state_dir(output)`)."""
        return local_state_dir(self.output)

    def metadata_path(self) -> str:
        """The local run's SQLite ML Metadata file: `<local_dir>/metadata.sqlite`."""
        return os.path.join(self.local_dir(), METADATA_NAME)

    def tensorboard_dir(self, run_id: str = "") -> str:
        """TensorBoard's logdir (`<output>/tensorboard`), or one run's folder in it with `run_id`."""
        return os.path.join(self.output, "tensorboard", run_id) if run_id else os.path.join(self.output, "tensorboard")

    # Serialisation.
    def to_dict(self, sections: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """The config as plain values; with `sections`, only those (and `task`, `output`).

        Args:
            sections: Section names (and optionally `"data"`, `"pipeline_name"`) to keep; None
                for everything.

        Raises:
            ConfigError: For an unknown section name, or one this config was not given.
        """
        chosen = list(TOP_LEVEL) + list(SECTION_TYPES) if sections is None else list(ALWAYS) + list(sections)
        unknown = sorted(set(chosen) - set(TOP_LEVEL) - set(SECTION_TYPES))
        if unknown:
            raise ConfigError(f"Unknown config sections {unknown}. Expected some of: {list(SECTION_TYPES)}.")
        out: Dict[str, Any] = {}
        for name in TOP_LEVEL:
            if name in chosen:
                out[name] = getattr(self, name)
        for name in SECTION_TYPES:
            if name not in chosen:
                continue
            section = getattr(self, name)
            if not _given(section):
                if sections is None:
                    continue
                raise ConfigError(f"This config holds no {name!r} section to hand on.")
            out[name] = dataclasses.asdict(section)
        return out

    def to_json(self, sections: Optional[Iterable[str]] = None) -> str:
        """`to_dict(sections)` as canonical JSON (sorted keys): TFX caches on this text."""
        return json.dumps(self.to_dict(sections), sort_keys=True)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], partial: bool = False) -> "RunConfig":
        """Builds a config from plain values (YAML, JSON).

        Args:
            values: Top-level fields and section mappings.
            partial: Sections missing from `values` become `SectionNotGiven` (a step's view)
                instead of defaults.

        Raises:
            ConfigError: For unknown keys (a field at the top level that belongs in a section is
                named with its section) or invalid values.
        """
        if not isinstance(values, Mapping):
            raise ConfigError(f"A config must be a mapping. Received: {type(values).__name__}")
        known = set(TOP_LEVEL) | set(SECTION_TYPES)
        unknown = sorted(set(values) - known)
        if unknown:
            homes = {f.name: name for name, section in SECTION_TYPES.items() for f in dataclasses.fields(section)}
            hints = [f"{key!r} belongs in the {homes[key]!r} section ({homes[key]}:\n  {key}: ...)"
                     for key in unknown if key in homes]
            raise ConfigError(
                f"Unknown top-level config keys {unknown}. " + (" ".join(hints) + ". " if hints else "")
                + f"Expected some of: {sorted(known)}.")
        kwargs = dict(values)
        if partial:
            for name in SECTION_TYPES:
                kwargs.setdefault(name, SectionNotGiven(name))
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        """The inverse of `to_json`; sections the JSON lacks are `SectionNotGiven`."""
        return cls.from_dict(json.loads(text), partial=True)

    def with_overrides(self, overrides: Mapping[str, Any]) -> "RunConfig":
        """A copy with dotted-path overrides (`{"training.epochs": 3}`); `None` values are skipped.

        Raises:
            ConfigError: For an unknown path.
        """
        values = self.to_dict()
        for path, value in overrides.items():
            if value is None:
                continue
            parts = path.split(".")
            if len(parts) == 1 and parts[0] in TOP_LEVEL:
                values[parts[0]] = value
            elif len(parts) == 2 and parts[0] in SECTION_TYPES and parts[1] in {
                    f.name for f in dataclasses.fields(SECTION_TYPES[parts[0]])}:
                values[parts[0]][parts[1]] = value
            else:
                raise ConfigError(f"Unknown config setting {path!r}. Expected a top-level field "
                                  f"{list(TOP_LEVEL)} or section.field.")
        return RunConfig.from_dict(values)

    @classmethod
    def from_yaml(cls, path: str, overrides: Optional[Mapping[str, Any]] = None) -> "RunConfig":
        """Reads a YAML config; non-None dotted `overrides` (CLI flags) win.

        Raises:
            ConfigError: For a missing or invalid file, or invalid values.
        """
        import yaml

        try:
            if is_uri(path):  # gs://, s3://, ...: TensorFlow's file systems, loaded only then
                import tensorflow as tf

                if not tf.io.gfile.exists(path):
                    raise FileNotFoundError(path)
                with tf.io.gfile.GFile(path, "r") as f:
                    values = yaml.safe_load(f.read()) or {}
            else:
                with open(path, encoding="utf-8") as f:
                    values = yaml.safe_load(f) or {}
        except FileNotFoundError:
            raise ConfigError(f"Config file not found. Received: --config {path!r}") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"Config file {path} is not valid YAML: {e}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"Config file {path} must hold a mapping. Received: {type(values).__name__}")
        try:
            config = cls.from_dict(values)
        except ConfigError as e:
            raise ConfigError(f"{path}: {e}") from None
        return config.with_overrides(overrides or {})

