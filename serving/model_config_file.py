"""`models.config`: TF Serving's `ModelServerConfig` in text format (`--model_config_file`)."""
import contextlib
import os
import uuid
from typing import Dict, Iterable, Mapping, Optional

import tensorflow as tf
from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from kerasknow.errors import ConfigError

MODELS_CONFIG = "models.config"


class ModelConfigFile:
    """Reads and atomically rewrites a `models.config` file.

    The whole file is one `model_config_list`; TF Serving replaces its configuration with each
    version of the file (a model left out is unloaded), so a writer changes its own entry and
    keeps everyone else's.

    Args:
        path: The file, e.g. `<serving base>/models.config` (local or any `tf.io.gfile` URL).

    Example:

    ```python
    config = ModelConfigFile("out/serving/models.config")
    entry = config.set_entry("bbc", "/abs/out/serving/bbc", versions=[3, 4], labels={"stable": 3})
    ```
    """

    def __init__(self, path: str):
        self.path = path

    def exists(self) -> bool:
        return tf.io.gfile.exists(self.path)

    def read(self) -> model_server_config_pb2.ModelServerConfig:
        """The file's config (empty when the file does not exist).

        Raises:
            ConfigError: When the file is not a `ModelServerConfig` text proto.
        """
        if not self.exists():
            return model_server_config_pb2.ModelServerConfig()
        with tf.io.gfile.GFile(self.path, "r") as f:
            return parse_model_config(f.read(), self.path)

    def entries(self) -> Dict[str, "model_server_config_pb2.ModelConfig"]:
        """Model name -> its `ModelConfig`, from the file."""
        return {c.name: c for c in self.read().model_config_list.config}

    def write(self, config: model_server_config_pb2.ModelServerConfig) -> None:
        """Writes the file whole: to a temporary name beside it, then renamed over it (local
        files; object stores write the object in one put), so a server never reads half a file."""
        text = "# Written by kerasknow's pusher (TF Serving ModelServerConfig, text format).\n" \
               + text_format.MessageToString(config)
        directory = os.path.dirname(self.path) or "."
        tf.io.gfile.makedirs(directory)
        if "://" in self.path:
            from kerasknow.data.file_system import write_file

            write_file(self.path, text)
            return
        temporary = os.path.join(directory, f".{os.path.basename(self.path)}.{uuid.uuid4().hex}.tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def set_entry(self, name: str, base_path: str, versions: Iterable[int], labels: Mapping[str, int],
                  known_models: Optional[Mapping[str, str]] = None) -> "model_server_config_pb2.ModelConfig":
        """Sets one model's entry (a `specific` version policy and its labels), keeping the others.

        Args:
            name: The model name.
            base_path: Its model base path (absolute, as TF Serving needs).
            versions: The versions the server should load.
            labels: Label -> version; every labelled version must be in `versions`.
            known_models: Other model name -> base path to list if the file lacks them (models
                pushed beside this one), with TF Serving's default policy.

        Returns:
            The entry written.

        Raises:
            ConfigError: For no versions, or a label on a version the policy does not load.
        """
        with self._locked():
            return self._set_entry(name, base_path, versions, labels, known_models)

    @contextlib.contextmanager
    def _locked(self):
        """Serialises read-modify-write among pushers of different models (local files)."""
        if "://" in self.path:
            yield
            return
        import fcntl

        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path + ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _set_entry(self, name, base_path, versions, labels, known_models):
        versions = sorted(set(int(v) for v in versions))
        if not versions:
            raise ConfigError(f"A model config entry needs at least one version. Received: versions={versions}.")
        outside = {label: v for label, v in labels.items() if v not in versions}
        if outside:
            raise ConfigError(f"Labels may only point at versions the server loads ({versions}). "
                              f"Received: {outside}.")
        config = self.read()
        entries = config.model_config_list.config
        entry = next((c for c in entries if c.name == name), None)
        if entry is None:
            entry = entries.add()
        entry.Clear()
        entry.name = name
        entry.base_path = base_path
        entry.model_platform = "tensorflow"
        entry.model_version_policy.specific.versions.extend(versions)
        for label, version in sorted(labels.items()):
            entry.version_labels[label] = int(version)
        for other, path in sorted((known_models or {}).items()):
            if other != name and not any(c.name == other for c in entries):
                added = entries.add()
                added.name, added.base_path, added.model_platform = other, path, "tensorflow"
        self.write(config)
        return entry


def parse_model_config(text: str, source: str = "models.config") -> model_server_config_pb2.ModelServerConfig:
    """Parses `ModelServerConfig` text format.

    Raises:
        ConfigError: For text that does not parse, naming `source`.
    """
    try:
        return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as e:
        raise ConfigError(f"{source} is not a tensorflow.serving.ModelServerConfig text proto: {e}. Expected "
                          "model_config_list { config { name: ... base_path: ... model_platform: \"tensorflow\" } }."
                          ) from None
