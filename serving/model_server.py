"""A TF Serving-compatible development model server: its lifecycle.

Production serves pushed models with the real `tensorflow_model_server`; it cannot be installed
from a Python registry, so this stand-in speaks the same APIs from the `tensorflow-serving-api`
protos, with TF Serving's file-system and config semantics. The parts:

- `model_versions.ModelVersions`: one model's versions on disk and loaded, by its version
  policy (a new version loads, and runs its warm-up requests, before the old one unloads).
- `request_handlers.RequestHandlers`: Predict / GetModelMetadata / GetModelStatus on protos,
  with `tensorflow_model_server`'s status codes and messages.
- `model_runner.ModelRunner`: where models run (fair to small requests; batching).
- `grpc_api.GrpcApi` and `rest_api.RestApi`: the gRPC and REST servers over the handlers.
- `DevModelServer` (here): builds them from flags or a `models.config`, polls, starts, stops.
"""
import hashlib
import logging
import os
import threading
import time
from typing import Dict, List, Mapping, Optional

import tensorflow as tf
from google.protobuf import text_format

from kerasknow.errors import ConfigError, require
from kerasknow.serving.batching_parameters import BatchingParameters
from kerasknow.serving.grpc_api import MAX_MESSAGE_BYTES, GrpcApi
from kerasknow.serving.model_config_file import parse_model_config
from kerasknow.serving.model_runner import ModelRunner
from kerasknow.serving.model_versions import VERSION_NAME, ModelVersions, check_model_name
from kerasknow.serving.request_handlers import RequestHandlers
from kerasknow.serving.rest_api import DEFAULT_METRICS_PATH, RestApi
from kerasknow.serving.server_limits import ServerLimits
from kerasknow.serving.server_metrics import ServerMetrics
from kerasknow.serving.serving_protos import message_class
from kerasknow.serving.version_policy import VersionPolicy

logger = logging.getLogger(__name__)

PRODUCTION_COMMAND = (
    "tensorflow_model_server --port=8500 --rest_api_port=8501 "
    "--model_name={model_name} --model_base_path={model_base_path}"
)
PRODUCTION_CONFIG_COMMAND = (
    "tensorflow_model_server --port=8500 --rest_api_port=8501 --model_config_file={config} "
    "--model_config_file_poll_wait_seconds=60 --allow_version_labels_for_unavailable_models=true"
)


class DevModelServer:
    """Serves models from TF Serving model base paths over TF Serving's gRPC and REST APIs.

    A development server and test double for `tensorflow_model_server`, not a production
    server: no TLS, no authentication. Give either `model_base_path` and `model_name` (TF
    Serving's `--model_base_path`/`--model_name`: the newest version of one model) or
    `model_config_file` (`--model_config_file`: every model, version policy and label in it).

    Args:
        model_base_path: The model's base path, `<base>/<model_name>`: it holds integer
            version directories (`1/`, `2/`, ...), each a SavedModel. Must exist (it may be
            empty until the first push).
        model_name: The name clients put in `model_spec.name`.
        host: The interface to bind; `127.0.0.1` keeps the server local.
        port: The gRPC port; 0 picks a free one (`start()` returns it).
        poll_seconds: How often base paths are checked for new versions (TF Serving: 1 s).
        max_workers: gRPC handler threads (they mostly wait for the model threads).
        version_labels: With `model_base_path`: label -> version for `model_spec.version_label`.
        model_config_file: A `models.config` (`ModelServerConfig` text) instead of the two above.
        model_config_poll_seconds: Re-read `model_config_file` this often (0: read once, TF
            Serving's `--model_config_file_poll_wait_seconds` default).
        allow_version_labels_for_unavailable_models: TF Serving's flag of that name: a label
            new to the server may point at a version still loading (needed for labels at
            start-up); moving an existing label still needs the version loaded.
        rest_port: Serve the REST API on this port (0: any free port); None: no REST.
        enable_batching: Batch concurrent requests (TF Serving's `--enable_batching`).
        batching_parameters_file: `BatchingParameters` text (`--batching_parameters_file`);
            implies `enable_batching`.
        monitoring_config_file: `MonitoringConfig` text (`--monitoring_config_file`): where the
            Prometheus metrics are served on the REST port, or not. Default:
            `/monitoring/prometheus/metrics`.
        limits: `ServerLimits` on request size, rows and queueing.
        model_threads: Threads running models without batching (0: one per CPU core).
        max_load_retries: Retries of a failing version load before giving up (TF Serving: 5).
        load_retry_interval_seconds: Seconds between those retries (TF Serving: 60).

    Raises:
        ConfigError: For a missing base path, a base path that is the parent of the model's
            folder, an invalid config file or argument, or labels TF Serving would refuse.
        MissingDependencyError: When tensorflow-text (whose ops text models use) is missing.

    Example:

    ```python
    with DevModelServer("/models/bbc", "bbc", port=0, rest_port=0) as server:
        client = PredictionClient(f"127.0.0.1:{server.port}", "bbc")
    ```
    """

    def __init__(
        self,
        model_base_path: Optional[str] = None,
        model_name: Optional[str] = None,
        host: str = "127.0.0.1",
        port: int = 8500,
        poll_seconds: float = 1.0,
        max_workers: int = 16,
        version_labels: Optional[Mapping[str, int]] = None,
        *,
        model_config_file: Optional[str] = None,
        model_config_poll_seconds: float = 0.0,
        allow_version_labels_for_unavailable_models: bool = False,
        rest_port: Optional[int] = None,
        enable_batching: bool = False,
        batching_parameters_file: Optional[str] = None,
        monitoring_config_file: Optional[str] = None,
        limits: Optional[ServerLimits] = None,
        model_threads: int = 0,
        max_load_retries: int = 5,
        load_retry_interval_seconds: float = 60.0,
    ):
        _check_port("port", port)
        if rest_port is not None:
            _check_port("rest_port", rest_port)
        if not poll_seconds > 0:
            raise ConfigError(f"poll_seconds must be > 0. Received: poll_seconds={poll_seconds!r}.")
        if not model_config_poll_seconds >= 0:
            raise ConfigError("model_config_poll_seconds must be >= 0 (0: read once). Received: "
                              f"model_config_poll_seconds={model_config_poll_seconds!r}.")
        if not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigError(f"max_workers must be an int >= 1. Received: max_workers={max_workers!r}.")
        if model_config_file is not None and (model_base_path is not None or model_name is not None):
            raise ConfigError("--model-config-file replaces --model-base-path and --model-name (as in TF Serving); "
                              f"give one or the other. Received: model_config_file={model_config_file!r}, "
                              f"model_base_path={model_base_path!r}, model_name={model_name!r}.")
        if model_config_file is None and (model_base_path is None or model_name is None):
            raise ConfigError("Give --model-base-path and --model-name, or --model-config-file. Received: "
                              f"model_base_path={model_base_path!r}, model_name={model_name!r}.")
        # Text models tokenise in the graph with tensorflow_text ops; they must be registered
        # before a SavedModel using them loads ("Op type not registered" otherwise).
        require("tensorflow_text", "tensorflow-text", "Serving text models")

        self.host = host
        self.poll_seconds = float(poll_seconds)
        self.limits = limits or ServerLimits()
        self.model_config_file = model_config_file or None
        if self.model_config_file and "://" not in self.model_config_file:  # a URI stays as given
            self.model_config_file = os.path.abspath(self.model_config_file)
        self.model_config_poll_seconds = float(model_config_poll_seconds)
        self.allow_version_labels_for_unavailable_models = allow_version_labels_for_unavailable_models
        self._model_options = dict(limits=self.limits, max_load_retries=max_load_retries,
                                   load_retry_interval_seconds=load_retry_interval_seconds)
        batching = None
        if batching_parameters_file:
            batching = BatchingParameters.from_file(batching_parameters_file)
        elif enable_batching:
            batching = BatchingParameters()
        self.batching = batching
        self.metrics_path = _metrics_path(monitoring_config_file)
        self.metrics = ServerMetrics()
        self._runner_options = dict(threads=model_threads or (os.cpu_count() or 1), batching=batching,
                                    max_queued=self.limits.max_queued_requests, metrics=self.metrics)
        self.handlers = RequestHandlers({}, runner=None, limits=self.limits, metrics=self.metrics)

        self.model_name = model_name
        self.model_base_path = None
        if model_config_file is None:
            check_model_name(model_name)
            self.model_base_path = _checked_base_path(model_base_path, model_name)
            self.handlers.set_models({model_name: ModelVersions(model_name, self.model_base_path,
                                                                version_labels=version_labels,
                                                                **self._model_options)})
        self._config_text: Optional[str] = None
        self._config_failed: Optional[str] = None
        self._config_checked = 0.0
        # gRPC itself refuses messages over this; below it the handlers answer INVALID_ARGUMENT.
        grpc_limit = min(MAX_MESSAGE_BYTES, 2 * self.limits.max_request_bytes + 2**20)
        self._grpc = GrpcApi(self.handlers, host, port, max_workers=max_workers, max_message_bytes=grpc_limit,
                             max_concurrent_rpcs=self.limits.max_queued_requests)
        self._rest = (RestApi(self.handlers, host, rest_port, metrics_path=self.metrics_path)
                      if rest_port is not None else None)
        self._started = False
        self._stop_polling = threading.Event()
        self._poller: Optional[threading.Thread] = None

    # ------------------------------------------------------------------------------- state

    @property
    def models(self) -> Dict[str, ModelVersions]:
        """Model name -> its versions."""
        return self.handlers.models

    @property
    def port(self) -> Optional[int]:
        """The bound gRPC port once started, else None."""
        return self._grpc.port

    @property
    def rest_port(self) -> Optional[int]:
        """The bound REST port once started (None without REST)."""
        return self._rest.port if self._rest is not None else None

    @property
    def loaded_version(self) -> Optional[int]:
        """The newest loaded version of `model_name` (the only model, with a base path), or None."""
        name = self.model_name or (next(iter(self.models)) if len(self.models) == 1 else None)
        versions = self.models.get(name) if name else None
        return versions.loaded_version if versions is not None else None

    @property
    def version_labels(self) -> Dict[str, int]:
        return self.models[self.model_name].version_labels if self.model_name in self.models else {}

    def production_command(self) -> str:
        """The `tensorflow_model_server` command serving the same files."""
        if self.model_config_file:
            command = PRODUCTION_CONFIG_COMMAND.format(config=self.model_config_file)
        else:
            command = PRODUCTION_COMMAND.format(model_name=self.model_name, model_base_path=self.model_base_path)
        if self.batching is not None:
            command += " --enable_batching=true --batching_parameters_file=BATCHING_FILE"
        return command

    def banner(self) -> str:
        """One line saying what is served where, that this is a development server, and the
        production command."""
        served = []
        for name, versions in sorted(self.models.items()):
            loaded = versions.loaded_versions
            served.append(f"model {name!r} " + (f"version {', '.join(map(str, loaded))}" if loaded
                                                 else "no version yet (waiting for a push)"))
        source = self.model_config_file or self.model_base_path
        rest = f", REST on {self.host}:{self.rest_port}" if self._rest is not None else ""
        batching = f", batching up to {self.batching.max_batch_size}" if self.batching is not None else ""
        return (f"kerasknow DEVELOPMENT model server (not for production): {'; '.join(served) or 'no models'} "
                f"from {source}, gRPC on {self._grpc.address}{rest}{batching}. In production run: "
                f"{self.production_command()}")

    # --------------------------------------------------------------------------- lifecycle

    def start(self) -> int:
        """Loads the current versions, starts the gRPC (and REST) server and the poller.

        Returns:
            The bound gRPC port (the free port picked when `port=0`).

        Raises:
            RuntimeError: When already started.
            ConfigError: For a model config TF Serving would refuse at start-up.
            OSError: When an address cannot be bound (e.g. the port is in use).
        """
        if self._started:
            raise RuntimeError(f"DevModelServer is already started on port {self.port}.")
        if self.model_config_file:
            self._reload_config(first=True)
        self.handlers.runner = ModelRunner(**self._runner_options)
        self._poll_versions()  # serve the current versions from the first request, as TF Serving does
        port = self._grpc.start()
        if self._rest is not None:
            try:
                self._rest.start()
            except OSError:
                self._grpc.stop(0)
                raise
        self._started = True
        self._stop_polling.clear()
        self._poller = threading.Thread(target=self._poll_loop, name="devserve-poll", daemon=True)
        self._poller.start()
        logger.warning(self.banner())
        return port

    def stop(self, grace: Optional[float] = 1.0) -> None:
        """Stops the poller and the servers; in-flight requests get `grace` seconds. Idempotent."""
        self._stop_polling.set()
        if self._poller is not None:
            self._poller.join(timeout=max(10.0, 2 * self.poll_seconds))
            self._poller = None
        if self._started:
            if self._rest is not None:
                self._rest.stop()
            self._grpc.stop(grace)
            self.handlers.runner.stop()
            self._started = False
            logger.info("Development server on port %s stopped.", self.port)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the server stops (or `timeout` seconds pass).

        Returns:
            True when the wait timed out, False when the server stopped.
        """
        return self._grpc.wait(timeout)

    def __enter__(self) -> "DevModelServer":
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- polling

    def _poll_versions(self) -> None:
        for versions in list(self.models.values()):
            versions.poll()

    def _poll_once(self) -> None:
        if self.model_config_file and self.model_config_poll_seconds and (
                time.monotonic() - self._config_checked >= self.model_config_poll_seconds):
            self._reload_config(first=False)
        self._poll_versions()

    def _poll_loop(self) -> None:
        while not self._stop_polling.wait(self.poll_seconds):
            try:
                self._poll_once()
            # The poller must survive anything a file system or a model throws at it: the error
            # is logged and the next poll tries again.
            except Exception as e:  # noqa: BLE001
                logger.error("Polling the model base paths failed (%s: %s); trying again in %.1f s.",
                             type(e).__name__, e, self.poll_seconds)

    # ------------------------------------------------------------------------ model config

    def _reload_config(self, first: bool) -> None:
        """Reads `model_config_file` and applies it, as TF Serving's ReloadConfig: the whole
        file or nothing. At start-up a problem raises; later it is logged and the old config
        keeps serving."""
        self._config_checked = time.monotonic()
        try:
            with tf.io.gfile.GFile(self.model_config_file, "r") as f:
                text = f.read()
        except tf.errors.OpError as e:
            if first:
                raise ConfigError(f"Cannot read the model config file. Received: --model-config-file "
                                  f"{self.model_config_file!r} ({e.message}).") from None
            logger.error("Cannot read %s (%s); keeping the current config.", self.model_config_file, e.message)
            return
        if text == self._config_text:
            return
        try:
            models = self._models_from_config(parse_model_config(text, self.model_config_file), first)
        except ConfigError as e:
            if first:
                raise
            digest = hashlib.sha1(text.encode("utf-8")).hexdigest()
            if digest != self._config_failed:
                self._config_failed = digest
                logger.error("Not applying the changed %s: %s The previous config keeps serving.",
                             self.model_config_file, e)
            return
        self._config_text, self._config_failed = text, None
        self.handlers.set_models(models)
        if not first:
            logger.info("Applied %s: models %s.", self.model_config_file, ", ".join(sorted(models)) or "none")

    def _models_from_config(self, config, first: bool) -> Dict[str, ModelVersions]:
        entries = list(config.model_config_list.config)
        if config.WhichOneof("config") not in (None, "model_config_list"):
            raise ConfigError(f"{self.model_config_file}: only model_config_list is supported (as in TF Serving's "
                              "--model_config_file).")
        names: List[str] = []
        for entry in entries:
            check_model_name(entry.name)
            if entry.name in names:
                raise ConfigError(f"{self.model_config_file}: model {entry.name!r} is configured twice.")
            names.append(entry.name)
            if entry.model_platform != "tensorflow":
                raise ConfigError(f"{self.model_config_file}: model {entry.name!r} needs model_platform: "
                                  f"\"tensorflow\". Received: model_platform={entry.model_platform!r}.")
        current = self.models
        # TF Serving checks the labels against what is loaded before it loads anything new.
        for entry in entries:
            existing = current.get(entry.name)
            loaded = set(existing.loaded_versions) if existing is not None else set()
            labels = existing.version_labels if existing is not None else {}
            for label, version in entry.version_labels.items():
                if version in loaded:
                    continue
                new_or_same = labels.get(label, version) == version
                if not (self.allow_version_labels_for_unavailable_models and new_or_same):
                    fix = ("start the server with --allow-version-labels-for-unavailable-models" if first else
                           "load the version first (add it to the version policy), then move the label in a "
                           "later config change")
                    raise ConfigError(f"Request to assign label to version {version} of model {entry.name}, which "
                                      f"is not currently available for inference. Fix: {fix}.")
        models = {}
        for entry in entries:
            policy = VersionPolicy.from_proto(entry.model_version_policy)
            labels = dict(entry.version_labels)
            base = entry.base_path if "://" in entry.base_path else os.path.abspath(entry.base_path)
            existing = current.get(entry.name)
            if existing is not None and existing.base_path == base:
                existing.update(policy, labels)
                models[entry.name] = existing
            else:
                models[entry.name] = ModelVersions(entry.name, base, policy=policy, version_labels=labels,
                                                   **self._model_options)
        return models


def _metrics_path(monitoring_config_file: Optional[str]) -> Optional[str]:
    if not monitoring_config_file:
        return DEFAULT_METRICS_PATH
    if not tf.io.gfile.exists(monitoring_config_file):
        raise ConfigError(f"The monitoring config file does not exist. Received: --monitoring-config-file "
                          f"{monitoring_config_file!r}.")
    with tf.io.gfile.GFile(monitoring_config_file, "r") as f:
        try:
            config = text_format.Parse(f.read(), message_class("MonitoringConfig")())
        except text_format.ParseError as e:
            raise ConfigError(f"{monitoring_config_file} is not a tensorflow.serving.MonitoringConfig text proto: "
                              f"{e}. Expected prometheus_config {{ enable: true path: \"{DEFAULT_METRICS_PATH}\" }}."
                              ) from None
    if not config.prometheus_config.enable:
        return None
    return config.prometheus_config.path or DEFAULT_METRICS_PATH


def _check_port(name: str, port) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"{name} must be an int in [0, 65535] (0 = any free port). Received: {name}={port!r}.")


def _checked_base_path(model_base_path: str, model_name: str) -> str:
    """The absolute model base path; refuses a missing folder and `<base>` for `<base>/<name>`."""
    path = str(model_base_path)
    if "://" not in path:
        path = os.path.abspath(os.path.expanduser(path))
    if not tf.io.gfile.isdir(path):
        raise ConfigError(
            f"The model base path is not a directory. Received: model_base_path={str(model_base_path)!r}. "
            "Fix: pass <base>/<model_name>, the folder that holds the integer version "
            "directories the pusher writes (e.g. models/bbc with models/bbc/1/saved_model.pb)."
        )
    nested = os.path.join(path, str(model_name))
    has_versions = any(VERSION_NAME.fullmatch(n.rstrip("/")) for n in tf.io.gfile.listdir(path))
    if tf.io.gfile.isdir(nested) and not has_versions:
        raise ConfigError(
            f"The model base path is the parent of the model's folder. Received: "
            f"model_base_path={str(model_base_path)!r}. Fix: pass {nested!r}; like TF Serving's "
            "--model_base_path it must be <base>/<model_name>, the folder with the version "
            "directories."
        )
    return path
