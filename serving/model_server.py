"""A TF Serving-compatible development model server (gRPC), for development and tests.

Production serves pushed models with the real `tensorflow_model_server`; it cannot be installed
from a Python registry, so this stand-in speaks the same gRPC API (`tensorflow.serving`
`PredictionService.Predict` / `GetModelMetadata` and `ModelService.GetModelStatus`) from the
`tensorflow-serving-api` protos, with TF Serving's file-system semantics:

- `model_base_path` is `<base>/<model_name>`, exactly like `--model_base_path`: it holds one
  directory per integer version, each a SavedModel (`<version>/saved_model.pb`).
- The newest version whose directory has a `saved_model.pb` (or `.pbtxt`) is served (TF Serving's
  default `latest` version policy). Other names are ignored; a version directory without
  `saved_model.pb` is still being written and is not loaded (logged once).
- The directory is polled every `poll_seconds`; a newer version is loaded before the old one is
  unloaded (TF Serving's availability-preserving policy), so requests never see "no model". A
  version that fails to load is logged, the old one keeps serving, and the load is retried on the
  next poll (a half-copied version succeeds once the copy completes).

Status codes and messages follow `tensorflow_model_server` so clients and tests see what
production says: unknown model or version -> NOT_FOUND; unknown signature -> FAILED_PRECONDITION
(`Serving signature key "x" not found.`); unknown, missing or mistyped inputs and unknown
`output_filter` names -> INVALID_ARGUMENT; unknown version label -> INVALID_ARGUMENT.

Not implemented (UNIMPLEMENTED, as the generated base classes answer): Classify, Regress,
MultiInference, HandleReloadConfigRequest, and the REST API on 8501.
"""
import concurrent.futures
import logging
import os
import threading
from typing import Dict, Mapping, Optional, Tuple

import grpc
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from kerasknow.errors import ConfigError, require
from kerasknow.serving.predict_request import RequestAbort, check_predict_request, request_tensors
from kerasknow.serving.servable import Servable, read_signature_defs

logger = logging.getLogger(__name__)

DEFAULT_SIGNATURE = "serving_default"
PRODUCTION_COMMAND = (
    "tensorflow_model_server --port=8500 --rest_api_port=8501 "
    "--model_name={model_name} --model_base_path={model_base_path}"
)
_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
# tensorflow_model_server lifts gRPC's 4 MiB default so batches of images fit in one request.
_MAX_MESSAGE_BYTES = 2**31 - 1
_GRPC_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


class DevModelServer:
    """Serves the newest version under a TF Serving model base path over TF Serving's gRPC API.

    A development server and test double for `tensorflow_model_server`, not a production
    server: one model, one thread pool, no batching, no REST, no TLS.

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
        if not model_name or "/" in model_name or model_name != model_name.strip():
            raise ConfigError(
                "model_name must be a non-empty name without '/' or surrounding spaces, as "
                f"clients send it in model_spec.name. Received: model_name={model_name!r}."
            )
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port must be an int in [0, 65535] (0 = any free port). Received: port={port!r}.")
        if not poll_seconds > 0:
            raise ConfigError(f"poll_seconds must be > 0. Received: poll_seconds={poll_seconds!r}.")
        if not isinstance(max_workers, int) or max_workers < 1:
            raise ConfigError(f"max_workers must be an int >= 1. Received: max_workers={max_workers!r}.")
        path = os.path.abspath(os.path.expanduser(str(model_base_path)))
        if not os.path.isdir(path):
            raise ConfigError(
                f"The model base path is not a directory. Received: model_base_path={str(model_base_path)!r}. "
                "Fix: pass <base>/<model_name>, the folder that holds the integer version "
                "directories the pusher writes (e.g. models/bbc with models/bbc/1/saved_model.pb)."
            )
        nested = os.path.join(path, model_name)
        if os.path.isdir(nested) and not self._has_integer_dirs(path):
            raise ConfigError(
                f"The model base path is the parent of the model's folder. Received: "
                f"model_base_path={str(model_base_path)!r}. Fix: pass {nested!r}; like TF Serving's "
                "--model_base_path it must be <base>/<model_name>, the folder with the version "
                "directories."
            )
        labels = dict(version_labels or {})
        for label, version in labels.items():
            if not isinstance(version, int) or version < 0:
                raise ConfigError(
                    f"version_labels must map names to integer versions. Received: {label!r}: {version!r}."
                )
        # Text models tokenise in the graph with tensorflow_text ops; they must be registered
        # before a SavedModel using them loads ("Op type not registered" otherwise).
        require("tensorflow_text", "tensorflow-text", "Serving text models")

        self.model_base_path = path
        self.model_name = model_name
        self.host = host
        self.poll_seconds = float(poll_seconds)
        self.max_workers = max_workers
        self.version_labels = labels
        self._requested_port = port
        self._port: Optional[int] = None
        self._lock = threading.Lock()
        self._servable: Optional[Servable] = None
        # version -> (ModelVersionStatus state name, error message); what GetModelStatus reports.
        self._states: Dict[int, Tuple[str, str]] = {}
        self._reported: set = set()  # log-once keys, so a poll every second does not flood the log
        self._server: Optional[grpc.Server] = None
        self._stop_polling = threading.Event()
        self._poller: Optional[threading.Thread] = None

    @staticmethod
    def _has_integer_dirs(path: str) -> bool:
        return any(n.isdigit() and os.path.isdir(os.path.join(path, n)) for n in os.listdir(path))

    # ----------------------------------------------------------------------------- lifecycle

    @property
    def port(self) -> Optional[int]:
        """The bound port once started, else None."""
        return self._port

    @property
    def loaded_version(self) -> Optional[int]:
        """The version being served, or None while no version has loaded."""
        servable = self._servable
        return servable.version if servable is not None else None

    def banner(self) -> str:
        """One line saying what is served where, that this is a development server, and the
        production command."""
        production = PRODUCTION_COMMAND.format(model_name=self.model_name, model_base_path=self.model_base_path)
        address = f"{self.host}:{self._port if self._port is not None else self._requested_port}"
        version = self.loaded_version
        serving = f"version {version}" if version is not None else "no version yet (waiting for a push)"
        return (
            f"kerasknow DEVELOPMENT model server (not for production): model {self.model_name!r} "
            f"{serving} from {self.model_base_path}, gRPC on {address}. In production run: {production}"
        )

    def start(self) -> int:
        """Loads the newest version, starts the gRPC server and the version poller.

        Returns:
            The bound port (the free port picked when `port=0`).

        Raises:
            RuntimeError: When already started.
            OSError: When the address cannot be bound (e.g. the port is in use).
        """
        if self._server is not None:
            raise RuntimeError(f"DevModelServer for {self.model_name!r} is already started on port {self._port}.")
        self._poll_once()  # serve the current version from the first request, as TF Serving does
        options = [
            ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
            # Without this a second server could silently share the port on Linux.
            ("grpc.so_reuseport", 0),
        ]
        server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="devserve"),
            options=options,
        )
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(_PredictionServicer(self), server)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelServicer(self), server)
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        address = f"{host}:{self._requested_port}"
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as e:
            raise OSError(
                f"Cannot bind the development server to {address} ({e}). Fix: free the port or "
                "pick another with --port (0 = any free port)."
            ) from e
        if not port:
            raise OSError(f"Cannot bind the development server to {address}. Fix: free the port or pick another.")
        server.start()
        self._server = server
        self._port = port
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
        if self._server is not None:
            self._server.stop(grace).wait(timeout=(grace or 0) + 5.0)
            self._server = None
            logger.info("Development server for %r on port %s stopped.", self.model_name, self._port)

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the server stops (or `timeout` seconds pass).

        Returns:
            True when the wait timed out, False when the server stopped.
        """
        server = self._server
        if server is None:
            return False
        return bool(server.wait_for_termination(timeout))

    def __enter__(self) -> "DevModelServer":
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()

    # ------------------------------------------------------------------------------ versions

    def _log_once(self, key, level: int, msg: str, *args) -> None:
        if key not in self._reported:
            self._reported.add(key)
            logger.log(level, msg, *args)
        else:
            logger.debug(msg, *args)

    def _scan_versions(self) -> Dict[int, str]:
        """Returns {version: directory} for every complete version under the base path."""
        try:
            names = os.listdir(self.model_base_path)
        except FileNotFoundError:
            self._log_once(("missing_base",), logging.ERROR,
                           "Model base path %s no longer exists; still serving version %s.",
                           self.model_base_path, self.loaded_version)
            return {}
        self._reported.discard(("missing_base",))
        versions = {}
        for name in names:
            full = os.path.join(self.model_base_path, name)
            if not os.path.isdir(full):
                continue
            if not name.isdigit():
                self._log_once(("not_int", name), logging.INFO,
                               "Ignoring %s: version directories must be integers (TF Serving ignores it too).", full)
                continue
            if not any(os.path.isfile(os.path.join(full, f)) for f in _SAVED_MODEL_FILES):
                self._log_once(("no_pb", name), logging.WARNING,
                               "Not loading version %s of %r: %s has no saved_model.pb yet (still being "
                               "written?). It loads once the file appears.", name, self.model_name, full)
                continue
            versions[int(name)] = full
        return versions

    def _poll_once(self) -> None:
        versions = self._scan_versions()
        if not versions:
            if self._servable is None:
                self._log_once(("no_versions",), logging.WARNING,
                               "No versions of model %r found under %s yet; waiting for a push of "
                               "%s/<version>/saved_model.pb.", self.model_name, self.model_base_path,
                               self.model_base_path)
            return
        newest = max(versions)
        current = self._servable
        if current is not None and current.version == newest:
            return
        new = self._load(newest, versions[newest])
        if new is None:
            return
        with self._lock:
            old = self._servable
            self._servable = new
            self._states[newest] = ("AVAILABLE", "")
            if old is not None:
                self._states[old.version] = ("END", "")
        # Requests that already hold `old` finish on it; dropping our reference unloads it.
        if old is not None:
            logger.info("Model %r: now serving version %d; unloaded version %d.", self.model_name, newest, old.version)
        else:
            logger.info("Model %r: serving version %d from %s.", self.model_name, newest, new.path)

    def _load(self, version: int, path: str) -> Optional[Servable]:
        with self._lock:
            if self._states.get(version, ("",))[0] != "END":
                self._states[version] = ("LOADING", "")
        try:
            signature_defs = read_signature_defs(path)
            model = tf.saved_model.load(path, tags=["serve"])
        # A broken or half-copied version must never take the server down: it is logged, reported
        # by GetModelStatus, and retried on the next poll while the old version keeps serving.
        except Exception as e:  # noqa: BLE001
            with self._lock:
                self._states[version] = ("END", f"{type(e).__name__}: {e}")
            self._log_once(("load_failed", version), logging.ERROR,
                           "Loading version %d of %r from %s failed (%s: %s); still serving version %s, "
                           "retrying every poll.", version, self.model_name, path, type(e).__name__, e,
                           self.loaded_version)
            return None
        self._reported.discard(("load_failed", version))
        return Servable(version=version, path=path, model=model, signature_defs=signature_defs)

    def _poll_loop(self) -> None:
        while not self._stop_polling.wait(self.poll_seconds):
            try:
                self._poll_once()
            # The poller must survive transient file-system errors (e.g. a version being deleted
            # mid-scan); the error is logged and the next poll tries again.
            except OSError as e:
                logger.error("Polling %s failed: %s", self.model_base_path, e)

    # ------------------------------------------------------------------------------ requests

    def _resolve(self, model_spec) -> Servable:
        """Returns the servable a ModelSpec asks for, or raises RequestAbort like TF Serving."""
        name = model_spec.name
        servable = self._servable
        loaded = f"loaded version: {servable.version}" if servable else "no version loaded yet"
        if name != self.model_name:
            raise RequestAbort(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: Latest({name}). This server serves model "
                f"{self.model_name!r} only ({loaded}).",
            )
        choice = model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            label = model_spec.version_label
            if label not in self.version_labels:
                raise RequestAbort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Unrecognized servable version label: {label}. Labels known: "
                    f"{sorted(self.version_labels) or 'none'}.",
                )
            wanted = self.version_labels[label]
        elif choice == "version":
            wanted = model_spec.version.value
        else:
            if servable is None:
                raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"Servable not found for request: Latest({name}) ({loaded}).")
            return servable
        if servable is None or servable.version != wanted:
            raise RequestAbort(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: Specific({name}, {wanted}) ({loaded}).",
            )
        return servable

    @staticmethod
    def _signature(servable: Servable, signature_name: str):
        name = signature_name or DEFAULT_SIGNATURE
        functions = servable.model.signatures
        if name not in servable.signature_defs or name not in functions:
            available = sorted(k for k in functions)
            raise RequestAbort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f'Serving signature key "{name}" not found. Signatures in version {servable.version}: '
                f"{{{', '.join(available)}}}.",
            )
        return name, servable.signature_defs[name], functions[name]

    def _predict(self, request):
        servable = self._resolve(request.model_spec)
        sig_name, sig_def, function = self._signature(servable, request.model_spec.signature_name)
        outputs = check_predict_request(request, sig_def)
        tensors = request_tensors(request, sig_def, function)
        try:
            results = function(**tensors)
        except tf.errors.OpError as e:
            raise RequestAbort(_GRPC_CODE_BY_NUMBER.get(e.error_code, grpc.StatusCode.INTERNAL), e.message) from e

        response = predict_pb2.PredictResponse()
        response.model_spec.name = self.model_name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = sig_name
        for alias in outputs:
            response.outputs[alias].CopyFrom(tf.make_tensor_proto(results[alias].numpy()))
        return response

    def _get_model_metadata(self, request):
        servable = self._resolve(request.model_spec)
        if not request.metadata_field:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "GetModelMetadataRequest must specify at least one metadata_field (e.g. 'signature_def').",
            )
        for field in request.metadata_field:
            if field != "signature_def":
                raise RequestAbort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Metadata field {field} is not supported. Supported: signature_def.",
                )
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for name, signature_def in servable.signature_defs.items():
            signature_map.signature_def[name].CopyFrom(signature_def)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = self.model_name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(signature_map)
        return response

    def _get_model_status(self, request):
        name = request.model_spec.name
        with self._lock:
            states = dict(self._states)
        if name != self.model_name or not states:
            raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"Could not find any versions of model {name}")
        choice = request.model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            label = request.model_spec.version_label
            if label not in self.version_labels:
                raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, f"Unrecognized servable version label: {label}")
            wanted = self.version_labels[label]
        elif choice == "version":
            wanted = request.model_spec.version.value
        else:
            wanted = None
        if wanted is not None:
            if wanted not in states:
                raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"Could not find version {wanted} of model {name}")
            states = {wanted: states[wanted]}
        response = get_model_status_pb2.GetModelStatusResponse()
        state_enum = get_model_status_pb2.ModelVersionStatus.State
        for version in sorted(states):
            state, error = states[version]
            entry = response.model_version_status.add()
            entry.version = version
            entry.state = state_enum.Value(state)
            if error:
                entry.status.error_code = 2  # tensorflow.error.UNKNOWN
                entry.status.error_message = error
        return response


def _call(handler, request, context):
    try:
        return handler(request)
    except RequestAbort as e:
        logger.info("Request failed: %s: %s", e.code.name, e.message)
        context.abort(e.code, e.message)


class _PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, server: DevModelServer):
        self._server = server

    def Predict(self, request, context):  # noqa: N802 (gRPC method name)
        return _call(self._server._predict, request, context)

    def GetModelMetadata(self, request, context):  # noqa: N802
        return _call(self._server._get_model_metadata, request, context)


class _ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, server: DevModelServer):
        self._server = server

    def GetModelStatus(self, request, context):  # noqa: N802
        return _call(self._server._get_model_status, request, context)
