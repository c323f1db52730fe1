"""A TF Serving-compatible development model server: its lifecycle.

Production serves pushed models with the real `tensorflow_model_server`; it cannot be installed
from a Python registry, so this stand-in speaks the same gRPC API (`tensorflow.serving`
`PredictionService.Predict` / `GetModelMetadata` and `ModelService.GetModelStatus`) from the
`tensorflow-serving-api` protos, with TF Serving's file-system semantics. The parts:

- `model_versions.ModelVersions`: one model's versions on disk and loaded, by TF Serving's
  version policy (newest complete version; a new one loads before the old one unloads).
- `request_handlers.RequestHandlers`: Predict / GetModelMetadata / GetModelStatus on protos,
  with `tensorflow_model_server`'s status codes and messages.
- `grpc_api.GrpcApi`: the gRPC server over the handlers.
- `DevModelServer` (here): builds them, polls the base path, starts and stops.
"""
import logging
import os
import threading
from typing import Dict, Mapping, Optional

import tensorflow as tf

from kerasknow.errors import ConfigError, require
from kerasknow.serving.grpc_api import GrpcApi
from kerasknow.serving.model_versions import ModelVersions
from kerasknow.serving.request_handlers import RequestHandlers

logger = logging.getLogger(__name__)

PRODUCTION_COMMAND = (
    "tensorflow_model_server --port=8500 --rest_api_port=8501 "
    "--model_name={model_name} --model_base_path={model_base_path}"
)


class DevModelServer:
    """Serves the newest version under a TF Serving model base path over TF Serving's gRPC API.

    A development server and test double for `tensorflow_model_server`, not a production
    server: no TLS, no authentication.

    Args:
        model_base_path: The model's base path, `<base>/<model_name>`, like TF Serving's
            `--model_base_path`: it holds integer version directories (`1/`, `2/`, ...), each a
            SavedModel. Must exist (it may be empty until the first push).
        model_name: The name clients put in `model_spec.name`.
        host: The interface to bind; `127.0.0.1` keeps the server local.
        port: The gRPC port; 0 picks a free one (`start()` returns it).
        poll_seconds: How often the base path is checked for new versions (TF Serving: 1 s).
        max_workers: gRPC handler threads.
        version_labels: Optional label -> version map for `model_spec.version_label`, like
            `version_labels` in a TF Serving model config.

    Raises:
        ConfigError: For a missing base path, a base path that is the parent of the model's
            folder, or an invalid argument.
        MissingDependencyError: When tensorflow-text (whose ops text models use) is missing.

    Example:

    ```python
    with DevModelServer("/models/bbc", "bbc", port=0) as server:
        client = PredictionClient(f"127.0.0.1:{server.port}", "bbc")
    ```
    """

    def __init__(
        self,
        model_base_path: str,
        model_name: str,
        host: str = "127.0.0.1",
        port: int = 8500,
        poll_seconds: float = 1.0,
        max_workers: int = 4,
        version_labels: Optional[Mapping[str, int]] = None,
    ):
        _check_port("port", port)
        if not poll_seconds > 0:
            raise ConfigError(f"poll_seconds must be > 0. Received: poll_seconds={poll_seconds!r}.")
        if not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigError(f"max_workers must be an int >= 1. Received: max_workers={max_workers!r}.")
        models = {model_name: ModelVersions(model_name, _checked_base_path(model_base_path, model_name),
                                            version_labels=version_labels)}
        # Text models tokenise in the graph with tensorflow_text ops; they must be registered
        # before a SavedModel using them loads ("Op type not registered" otherwise).
        require("tensorflow_text", "tensorflow-text", "Serving text models")

        self.model_name = model_name
        self.model_base_path = models[model_name].base_path
        self.host = host
        self.poll_seconds = float(poll_seconds)
        self.handlers = RequestHandlers(models)
        self._grpc = GrpcApi(self.handlers, host, port, max_workers=max_workers)
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
    def loaded_version(self) -> Optional[int]:
        """The newest loaded version of the model, or None while no version has loaded."""
        return self.models[self.model_name].loaded_version

    @property
    def version_labels(self) -> Dict[str, int]:
        return self.models[self.model_name].version_labels

    def banner(self) -> str:
        """One line saying what is served where, that this is a development server, and the
        production command."""
        production = PRODUCTION_COMMAND.format(model_name=self.model_name, model_base_path=self.model_base_path)
        version = self.loaded_version
        serving = f"version {version}" if version is not None else "no version yet (waiting for a push)"
        return (
            f"kerasknow DEVELOPMENT model server (not for production): model {self.model_name!r} "
            f"{serving} from {self.model_base_path}, gRPC on {self._grpc.address}. In production run: {production}"
        )

    # --------------------------------------------------------------------------- lifecycle

    def start(self) -> int:
        """Loads the current versions, starts the gRPC server and the version poller.

        Returns:
            The bound gRPC port (the free port picked when `port=0`).

        Raises:
            RuntimeError: When already started.
            OSError: When the address cannot be bound (e.g. the port is in use).
        """
        if self._started:
            raise RuntimeError(f"DevModelServer for {self.model_name!r} is already started on port {self.port}.")
        self._poll_once()  # serve the current versions from the first request, as TF Serving does
        port = self._grpc.start()
        self._started = True
        self._stop_polling.clear()
        self._poller = threading.Thread(target=self._poll_loop, name=f"devserve-poll-{self.model_name}", daemon=True)
        self._poller.start()
        logger.warning(self.banner())
        return port

    def stop(self, grace: Optional[float] = 1.0) -> None:
        """Stops the poller and the server; in-flight requests get `grace` seconds. Idempotent."""
        self._stop_polling.set()
        if self._poller is not None:
            self._poller.join(timeout=max(10.0, 2 * self.poll_seconds))
            self._poller = None
        if self._started:
            self._grpc.stop(grace)
            self._started = False
            logger.info("Development server for %r on port %s stopped.", self.model_name, self.port)

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

    def _poll_once(self) -> None:
        for versions in self.models.values():
            versions.poll()

    def _poll_loop(self) -> None:
        while not self._stop_polling.wait(self.poll_seconds):
            try:
                self._poll_once()
            # The poller must survive transient file-system errors (e.g. a version being deleted
            # mid-scan); the error is logged and the next poll tries again.
            except (OSError, tf.errors.OpError) as e:
                logger.error("Polling the model base paths failed: %s", e)


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
    has_versions = any(n.rstrip("/").isdigit() for n in tf.io.gfile.listdir(path))
    if tf.io.gfile.isdir(nested) and not has_versions:
        raise ConfigError(
            f"The model base path is the parent of the model's folder. Received: "
            f"model_base_path={str(model_base_path)!r}. Fix: pass {nested!r}; like TF Serving's "
            "--model_base_path it must be <base>/<model_name>, the folder with the version "
            "directories."
        )
    return path
