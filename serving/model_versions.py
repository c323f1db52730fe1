"""One model's versions: what is on disk, what is loaded, and which version a request gets."""
import dataclasses
import logging
import os
import re
import threading
import time
from typing import Dict, Mapping, Optional, Tuple

import grpc
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.serving.predict_request import RequestAbort
from kerasknow.serving.servable import Servable, read_signature_defs
from kerasknow.serving.server_limits import ServerLimits
from kerasknow.serving.version_policy import VersionPolicy
from kerasknow.serving.warmup_requests import replay_warmup

logger = logging.getLogger("kerasknow.serving.model_server")

SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
# A version directory is a plain ASCII integer, as TF Serving parses it (`"²".isdigit()` is True).
VERSION_NAME = re.compile(r"[0-9]+", re.ASCII)


def check_model_name(name) -> str:
    """Returns `name` when it can be a served model's name and its folder name.

    Raises:
        ConfigError: For an empty name, `.`, `..`, a path separator or surrounding spaces.
    """
    if (not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name
            or name != name.strip()):
        raise ConfigError(
            "model_name must be a non-empty folder name without '/' or '\\', not '.' or '..', and without "
            f"surrounding spaces, as clients send it in model_spec.name. Received: model_name={name!r}."
        )
    return name


@dataclasses.dataclass
class _LoadFailure:
    fingerprint: tuple  # saved_model.pb's size and mtime: a new copy is a new version to try
    attempts: int
    next_attempt: float


class ModelVersions:
    """The versions of one model under its base path, loaded by TF Serving's rules.

    - A version is an integer directory with a `saved_model.pb` (or `.pbtxt`); other names are
      ignored, and a version directory without `saved_model.pb` yet (a push still copying) is
      not loaded (logged once).
    - `poll()` loads the versions the policy aspires to that are not loaded yet, then unloads
      the loaded ones it no longer aspires to, but only while another aspired version is
      loaded (TF Serving's availability-preserving policy): requests never see "no model", and
      a version whose load fails leaves the old one serving (the load is retried on every poll).
    - A load that fails is retried every `load_retry_interval_seconds`, at most
      `max_load_retries` times (TF Serving: 5 retries, 60 s apart), then given up until the
      version's `saved_model.pb` changes. While nothing serves, a `latest`/`all` policy falls
      back to the newest older version that loads, so a broken newest version does not hide an
      intact one.
    - Warm-up requests in `assets.extra/tf_serving_warmup_requests` run before a version is
      AVAILABLE; a failing one fails the load.
    - A request gets a specific version, the version a label points at, or the newest loaded.

    Args:
        name: The model name clients put in `model_spec.name`.
        base_path: The model's base path, `<base>/<name>`, holding the version directories.
        policy: Which versions to serve (TF Serving's default: the latest one).
        version_labels: Label -> version, like `version_labels` in a TF Serving model config.
        limits: The server's `ServerLimits` (warm-up requests are held to them too).
        max_load_retries: Retries of a failed load before giving up (TF Serving's
            `--max_num_load_retries`, 5).
        load_retry_interval_seconds: Seconds between retries (TF Serving's
            `--load_retry_interval_micros`, 60 s).

    Raises:
        ConfigError: For an invalid name or a label that does not map to an integer version.
    """

    def __init__(self, name: str, base_path: str, policy: Optional[VersionPolicy] = None,
                 version_labels: Optional[Mapping[str, int]] = None, limits: Optional[ServerLimits] = None,
                 max_load_retries: int = 5, load_retry_interval_seconds: float = 60.0):
        self.name = check_model_name(name)
        self.limits = limits or ServerLimits()
        self.max_load_retries = max_load_retries
        self.load_retry_interval_seconds = load_retry_interval_seconds
        self._failures: Dict[int, _LoadFailure] = {}
        self.base_path = base_path
        self.policy = policy or VersionPolicy.latest(1)
        self.version_labels = _checked_labels(version_labels)
        self._lock = threading.Lock()
        self._servables: Dict[int, Servable] = {}  # replaced, never mutated: readers need no lock
        # version -> (ModelVersionStatus state name, error message); what GetModelStatus reports.
        self._states: Dict[int, Tuple[str, str]] = {}
        self._reported: set = set()  # log-once keys, so a poll every second does not flood the log

    # ------------------------------------------------------------------------------ state

    @property
    def loaded_version(self) -> Optional[int]:
        """The newest loaded version (what a request without a version gets), or None."""
        servables = self._servables
        return max(servables) if servables else None

    @property
    def loaded_versions(self):
        """The loaded versions, ascending."""
        return sorted(self._servables)

    def servable(self, version: int) -> Optional[Servable]:
        return self._servables.get(version)

    def states(self) -> Dict[int, Tuple[str, str]]:
        """Version -> (state name, error message), for GetModelStatus."""
        with self._lock:
            return dict(self._states)

    def update(self, policy: VersionPolicy, version_labels: Mapping[str, int]) -> None:
        """Takes a new policy and labels (a reloaded model config); the next `poll()` applies them."""
        labels = _checked_labels(version_labels)
        with self._lock:
            self.policy = policy
            self.version_labels = labels

    # --------------------------------------------------------------------------- loading

    def _log_once(self, key, level: int, msg: str, *args) -> None:
        if key not in self._reported:
            self._reported.add(key)
            logger.log(level, msg, *args)
        else:
            logger.debug(msg, *args)

    def scan(self) -> Dict[int, str]:
        """Returns {version: directory} for every complete version under the base path."""
        try:
            names = tf.io.gfile.listdir(self.base_path)
        except tf.errors.NotFoundError:
            self._log_once(("missing_base",), logging.ERROR,
                           "Model base path %s no longer exists; still serving version %s of %r.",
                           self.base_path, self.loaded_version, self.name)
            return {}
        self._reported.discard(("missing_base",))
        versions = {}
        for name in names:
            name = name.rstrip("/")
            full = os.path.join(self.base_path, name)
            if not tf.io.gfile.isdir(full):
                continue
            if not VERSION_NAME.fullmatch(name):
                if not name.startswith("."):
                    self._log_once(("not_int", name), logging.INFO,
                                   "Ignoring %s: version directories must be integers (TF Serving ignores it "
                                   "too).", full)
                continue
            if not any(tf.io.gfile.exists(os.path.join(full, f)) for f in SAVED_MODEL_FILES):
                self._log_once(("no_pb", name), logging.WARNING,
                               "Not loading version %s of %r: %s has no saved_model.pb yet (still being "
                               "written?). It loads once the file appears.", name, self.name, full)
                continue
            versions[int(name)] = full
        return versions

    def poll(self) -> None:
        """Brings the loaded versions in line with the policy and what is on disk."""
        versions = self.scan()
        with self._lock:
            policy = self.policy
        aspired = policy.aspired(versions)
        if not versions and not self._servables:
            self._log_once(("no_versions",), logging.WARNING,
                           "No versions of model %r found under %s yet; waiting for a push of "
                           "%s/<version>/saved_model.pb.", self.name, self.base_path, self.base_path)
            return
        for version in sorted(aspired - set(self._servables), reverse=True):
            self._try_load(version, versions[version])
        if not self._servables and policy.kind != "specific":
            # Nothing serves because the aspired versions fail to load: serve the newest older
            # version that loads rather than nothing.
            for version in sorted(set(versions) - aspired, reverse=True):
                if self._try_load(version, versions[version]):
                    logger.warning("Model %r: serving version %d while the newer version(s) %s fail to load.",
                                   self.name, version, ", ".join(map(str, sorted(aspired))))
                    break
        unwanted = set(self._servables) - aspired
        if unwanted and set(self._servables) & aspired:
            with self._lock:
                self._servables = {v: s for v, s in self._servables.items() if v not in unwanted}
                for version in unwanted:
                    self._states[version] = ("END", "")
            # Requests that already hold an unloaded servable finish on it; dropping the
            # reference unloads it.
            logger.info("Model %r: unloaded version(s) %s; serving %s.", self.name,
                        ", ".join(map(str, sorted(unwanted))), ", ".join(map(str, self.loaded_versions)))
        elif unwanted:
            self._log_once(("keep_unwanted", tuple(sorted(unwanted))), logging.WARNING,
                           "Model %r: version(s) %s are no longer wanted (policy %s) but nothing it wants is "
                           "loaded, so they keep serving.", self.name,
                           ", ".join(map(str, sorted(unwanted))), policy.describe())

    def _try_load(self, version: int, path: str) -> bool:
        """Loads a version unless its last failure says to wait or give up; True when it serves."""
        fingerprint = _fingerprint(path)
        failure = self._failures.get(version)
        if failure is not None and failure.fingerprint == fingerprint:
            if failure.attempts > self.max_load_retries:
                self._log_once(("gave_up", version, fingerprint), logging.ERROR,
                               "Gave up loading version %d of %r after %d attempts; push it again (or a newer "
                               "version) to retry.", version, self.name, failure.attempts)
                return False
            if time.monotonic() < failure.next_attempt:
                return False
        servable = self._load(version, path)
        if servable is None:
            attempts = failure.attempts + 1 if failure is not None and failure.fingerprint == fingerprint else 1
            self._failures[version] = _LoadFailure(fingerprint, attempts,
                                                   time.monotonic() + self.load_retry_interval_seconds)
            return False
        self._failures.pop(version, None)
        with self._lock:
            self._servables = {**self._servables, version: servable}
            self._states[version] = ("AVAILABLE", "")
        warmup = f" after {servable.warmup_requests} warm-up requests" if servable.warmup_requests else ""
        logger.info("Model %r: serving version %d from %s%s.", self.name, version, servable.path, warmup)
        return True

    def _load(self, version: int, path: str) -> Optional[Servable]:
        with self._lock:
            if self._states.get(version, ("",))[0] != "END":
                self._states[version] = ("LOADING", "")
        try:
            signature_defs = read_signature_defs(path)
            model = tf.saved_model.load(path, tags=["serve"])
            servable = Servable(version=version, path=path, model=model, signature_defs=signature_defs,
                                model_name=self.name)
            servable.warmup_requests = replay_warmup(servable, self.limits)
        # A broken or half-copied version must never take the server down: it is logged, reported
        # by GetModelStatus, and retried (a few times) while the old version keeps serving.
        except Exception as e:  # noqa: BLE001
            with self._lock:
                self._states[version] = ("END", f"{type(e).__name__}: {e}")
            self._log_once(("load_failed", version), logging.ERROR,
                           "Loading version %d of %r from %s failed (%s: %s); still serving version %s.",
                           version, self.name, path, type(e).__name__, e, self.loaded_version)
            return None
        self._reported.discard(("load_failed", version))
        return servable

    # --------------------------------------------------------------------------- requests

    def resolve(self, model_spec) -> Servable:
        """Returns the servable a `ModelSpec` asks for.

        Raises:
            RequestAbort: NOT_FOUND for a version that is not loaded; INVALID_ARGUMENT for an
                unknown version label (TF Serving's messages).
        """
        servables = self._servables
        loaded = (f"loaded versions: {', '.join(map(str, sorted(servables)))}" if servables
                  else "no version loaded yet")
        choice = model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            wanted = self.label_version(model_spec.version_label)
        elif choice == "version":
            wanted = model_spec.version.value
        else:
            if not servables:
                raise RequestAbort(grpc.StatusCode.NOT_FOUND,
                                   f"Servable not found for request: Latest({self.name}) ({loaded}).")
            return servables[max(servables)]
        if wanted not in servables:
            raise RequestAbort(grpc.StatusCode.NOT_FOUND,
                               f"Servable not found for request: Specific({self.name}, {wanted}) ({loaded}).")
        return servables[wanted]

    def label_version(self, label: str) -> int:
        """The version a label points at.

        Raises:
            RequestAbort: INVALID_ARGUMENT for an unknown label.
        """
        labels = self.version_labels
        if label not in labels:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"Unrecognized servable version label: {label}. Labels known: {sorted(labels) or 'none'}.",
            )
        return labels[label]


def _fingerprint(path: str) -> tuple:
    for name in SAVED_MODEL_FILES:
        try:
            stat = tf.io.gfile.stat(os.path.join(path, name))
        except tf.errors.NotFoundError:
            continue
        return name, stat.length, stat.mtime_nsec
    return ()


def _checked_labels(version_labels: Optional[Mapping[str, int]]) -> Dict[str, int]:
    labels = dict(version_labels or {})
    for label, version in labels.items():
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise ConfigError(f"version_labels must map names to integer versions. Received: {label!r}: {version!r}.")
    return labels
