"""The releases of one model: its version directories and its entry in `models.config`.

Pushing (`stage` -> `commit`):
- Local file systems: the SavedModel is copied to a hidden staging folder inside the model base
  path (`.staging-<id>`; TF Serving ignores names that are not integers), then renamed to its
  version number in one `rename`, under an exclusive lock on `.kerasknow-push.lock`, so a
  server never sees a partial version and two pushers never take the same number. An old
  version is renamed out of the integer names before it is deleted. A push killed at any point
  leaves at most a hidden folder, removed by the next push.
- Object stores (`gs://`, `s3://`, ...) have no atomic rename: the version is copied to its
  final folder with `saved_model.pb` last (an object appears whole or not at all), so a server
  sees no `saved_model.pb` until everything else is there, as TFX's Pusher does.
- Version numbers strictly increase: `max(now in seconds, newest version + 1)`.

Labels follow TF Serving's rule that a label may only point at a loaded version: a push adds
the new version to the version policy and leaves the labels on versions already loaded
(`add_version`); moving `stable` (or `canary`) to it is a second config change once the
server has loaded it (`move_label`, done by `promote`). The first version of a model gets
`stable` at once (a new label, which TF Serving accepts with
`--allow_version_labels_for_unavailable_models`).
"""
import contextlib
import datetime
import json
import logging
import os
import shutil
import time
import uuid
from typing import Dict, List, Optional, Set, Tuple

import tensorflow as tf

from kerasknow.data.file_system import copy_file, list_files, remove_tree, write_file
from kerasknow.errors import ConfigError
from kerasknow.serving.model_config_file import MODELS_CONFIG, ModelConfigFile
from kerasknow.serving.model_versions import SAVED_MODEL_FILES, VERSION_NAME, check_model_name

logger = logging.getLogger(__name__)

STABLE, CANARY = "stable", "canary"
PUSH_RECORD = os.path.join("assets.extra", "kerasknow_push.json")
STAGING_PREFIX = ".staging-"
RETIRED_PREFIX = ".retired-"
LOCK_FILE = ".kerasknow-push.lock"


class ModelRelease:
    """Pushes, labels, retires and rolls back the versions of one model.

    Args:
        model_base_path: `<base>/<model_name>` (TF Serving's `--model_base_path`).
        config_path: The `models.config` to keep; default `<base>/models.config`.

    Raises:
        ConfigError: For a model folder name TF Serving cannot serve.

    Example:

    ```python
    release = ModelRelease("out/serving/bbc")
    with release.lock():
        staged = release.stage("tfx/Trainer/model/7/Format-Serving", source="tfx/Trainer/model/7")
        version = release.commit(staged)
    release.add_version(version, canary=False)
    ```
    """

    def __init__(self, model_base_path: str, config_path: Optional[str] = None):
        path = str(model_base_path).rstrip("/")
        self.remote = "://" in path
        self.base_path = path if self.remote else os.path.abspath(path)
        self.model_name = check_model_name(os.path.basename(self.base_path))
        self.serving_base = os.path.dirname(self.base_path)
        self.config = ModelConfigFile(config_path or os.path.join(self.serving_base, MODELS_CONFIG))
        self._staging_locks: Dict[str, object] = {}

    # ------------------------------------------------------------------------ on disk

    def versions(self) -> List[int]:
        """The complete versions (integer folders with a `saved_model.pb`), ascending."""
        return sorted(v for v, complete in self._version_dirs().items() if complete)

    def _version_dirs(self) -> Dict[int, bool]:
        if not tf.io.gfile.isdir(self.base_path):
            return {}
        found = {}
        for name in tf.io.gfile.listdir(self.base_path):
            name = name.rstrip("/")
            if VERSION_NAME.fullmatch(name):
                found[int(name)] = any(tf.io.gfile.exists(os.path.join(self.base_path, name, f))
                                       for f in SAVED_MODEL_FILES)
        return found

    def version_dir(self, version: int) -> str:
        return os.path.join(self.base_path, str(version))

    def next_version(self) -> int:
        """`max(now in seconds, newest version folder + 1)`: strictly increasing."""
        return max([int(time.time())] + [v + 1 for v in self._version_dirs()])

    def push_record(self, version: int) -> Dict:
        """What the pusher recorded in `<version>/assets.extra/kerasknow_push.json` (`{}` if none)."""
        path = os.path.join(self.version_dir(version), PUSH_RECORD)
        if not tf.io.gfile.exists(path):
            return {}
        with tf.io.gfile.GFile(path, "r") as f:
            try:
                return json.loads(f.read())
            except ValueError:
                return {}

    def find_pushed(self, source: str) -> Optional[int]:
        """The newest complete version pushed from `source` (a model artifact's URI), or None."""
        for version in reversed(self.versions()):
            if self.push_record(version).get("source") == source:
                return version
        return None

    @contextlib.contextmanager
    def lock(self):
        """An exclusive lock among pushers of this model (local file systems; released when the
        process dies). Object stores get no lock: run one pusher per model there."""
        tf.io.gfile.makedirs(self.base_path)
        if self.remote:
            yield
            return
        import fcntl

        with open(os.path.join(self.base_path, LOCK_FILE), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stage(self, source_dir: str, source: str = "", label: str = STABLE) -> str:
        """Copies a SavedModel to a new hidden staging folder inside the model base path.

        Args:
            source_dir: The SavedModel folder.
            source: What it was pushed from (recorded, so the same model is not pushed twice).
            label: The label this push is meant to get (`stable` or `canary`), recorded.

        Returns:
            The staging folder (write warm-up requests into it, then `commit` or `discard`).

        Raises:
            ConfigError: When `source_dir` holds no `saved_model.pb`.
        """
        if not any(tf.io.gfile.exists(os.path.join(source_dir, f)) for f in SAVED_MODEL_FILES):
            raise ConfigError(f"The model to push has no saved_model.pb. Received: {source_dir!r}.")
        tf.io.gfile.makedirs(self.base_path)
        self.remove_stale_staging()
        staging = os.path.join(self.base_path, f"{STAGING_PREFIX}{uuid.uuid4().hex[:16]}")
        if not self.remote:
            # Held until commit or discard; the kernel releases it when the process dies, which
            # is how a later push knows this folder was left by a killed one.
            import fcntl

            handle = open(staging + ".lock", "w")
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._staging_locks[staging] = handle
        copy_tree(source_dir, staging)
        record = {"source": source or source_dir, "label": label,
                  "staged_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        write_file(os.path.join(staging, PUSH_RECORD), json.dumps(record, indent=2))
        return staging

    def commit(self, staging: str) -> int:
        """Makes a staged folder the next version (call under `lock()`).

        Returns:
            The version number.
        """
        while True:
            version = self.next_version()
            final = self.version_dir(version)
            if self.remote:
                copy_tree(staging, final)  # saved_model.pb last
                remove_tree(staging)
                return version
            try:
                os.rename(staging, final)
            except OSError:
                if os.path.exists(final):  # taken meanwhile by a pusher that ignored the lock
                    continue
                raise
            self._release_staging(staging)
            return version

    def discard(self, staging: str) -> None:
        remove_tree(staging)
        self._release_staging(staging)

    def _release_staging(self, staging: str) -> None:
        handle = self._staging_locks.pop(staging, None)
        if handle is not None:
            os.remove(staging + ".lock")
            handle.close()

    def remove_stale_staging(self) -> List[str]:
        """Removes what pushes that were killed left (local file systems: staging folders and
        lock files whose lock is free). A push killed between taking its lock and copying, or
        between its rename and removing the lock, leaves a lock file alone; that goes too."""
        import fcntl

        removed = []
        if self.remote or not os.path.isdir(self.base_path):
            return removed
        names = {name[:-len(".lock")] if name.endswith(".lock") else name
                 for name in os.listdir(self.base_path) if name.startswith(STAGING_PREFIX)}
        for name in sorted(names):
            path = os.path.join(self.base_path, name)
            if path in self._staging_locks:
                continue
            with open(path + ".lock", "a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live push
                shutil.rmtree(path, ignore_errors=True)
                os.remove(path + ".lock")
            removed.append(name)
        return removed

    # ------------------------------------------------------------------- models.config

    def entry(self) -> Tuple[Set[int], Dict[str, int]]:
        """`(versions in the policy, labels)` of this model in `models.config` (empty if none)."""
        entry = self.config.entries().get(self.model_name)
        if entry is None:
            return set(), {}
        policy = entry.model_version_policy
        versions = set(policy.specific.versions) if policy.WhichOneof("policy_choice") == "specific" else set()
        return versions, dict(entry.version_labels)

    def _write(self, versions: Set[int], labels: Dict[str, int]) -> None:
        self.config.set_entry(self.model_name, self.base_path, versions, labels, known_models=self._neighbours())

    def _neighbours(self) -> Dict[str, str]:
        """Other models pushed beside this one (folders of the serving base with versions)."""
        found = {}
        if not tf.io.gfile.isdir(self.serving_base):
            return found
        for name in tf.io.gfile.listdir(self.serving_base):
            name = name.rstrip("/")
            path = os.path.join(self.serving_base, name)
            if name == self.model_name or name.startswith(".") or not tf.io.gfile.isdir(path):
                continue
            try:
                if ModelRelease(path, self.config.path).versions():
                    found[name] = path
            except ConfigError:  # a folder name no server could serve is no model
                continue
        return found

    def stable(self) -> Optional[int]:
        return self.entry()[1].get(STABLE)

    def add_version(self, version: int, canary: bool = False) -> Optional[str]:
        """Step one of a rollout: the server is to load `version`; labels stay on loaded versions.

        Args:
            version: The pushed version.
            canary: The version is meant for the `canary` label instead of `stable`.

        Returns:
            The label still to move to `version` once the server has loaded it (`promote`), or
            None when the model had no `stable` yet and the version got it now.
        """
        versions, labels = self.entry()
        stable = labels.get(STABLE)
        if stable is None or stable not in self.versions():
            if canary:
                logger.warning("Model %r has no stable version yet: version %d becomes stable, not a canary.",
                               self.model_name, version)
            self._write({version}, {STABLE: version})
            return None
        self._write({stable, version}, {STABLE: stable})
        return CANARY if canary else STABLE

    def pending(self) -> Optional[Tuple[int, str]]:
        """`(version, label)` a push left to move (`add_version`'s step two), or None."""
        versions, labels = self.entry()
        unlabelled = [v for v in versions if v not in labels.values() and v > labels.get(STABLE, -1)]
        if not unlabelled:
            return None
        version = max(unlabelled)
        return version, self.push_record(version).get("label", STABLE)

    def move_label(self, label: str, version: int) -> Dict[str, int]:
        """Step two: points `label` at `version`, which the policy already loads.

        Moving `stable` keeps the version it left loaded (so a rollback is one config change)
        and drops `canary` when it pointed at the same version.

        Returns:
            The new labels.

        Raises:
            ConfigError: When the version is not in the policy (the server has not loaded it).
        """
        if label not in (STABLE, CANARY):
            raise ConfigError(f"label must be {STABLE!r} or {CANARY!r}. Received: label={label!r}.")
        versions, labels = self.entry()
        if version not in versions:
            raise ConfigError(
                f"Version {version} of {self.model_name!r} is not in the version policy of {self.config.path} "
                f"(it loads {sorted(versions) or 'nothing'}), so a server has not loaded it and TF Serving would "
                f"refuse the label. Fix: push it, or `kerasknow rollback --to {version}` to load it first.")
        previous = labels.get(STABLE)
        labels[label] = version
        keep = set(labels.values())
        if label == STABLE:
            if labels.get(CANARY) == version:
                del labels[CANARY]
            if previous is not None:
                keep.add(previous)
        self._write(keep | set(labels.values()), labels)
        return labels

    def rollback(self, to: Optional[int] = None) -> Tuple[int, bool]:
        """Makes an earlier version the served one; deletes nothing.

        Args:
            to: The version to serve; default the newest complete version older than `stable`.

        Returns:
            `(version, done)`: `done` is False when the version was not loaded yet: it was added
            to the policy, and the same rollback run again once the server has loaded it moves
            `stable` to it.

        Raises:
            ConfigError: When there is no earlier version, `to` is not a complete version, or
                the model has no entry in `models.config`.
        """
        versions, labels = self.entry()
        if not versions:
            raise ConfigError(f"{self.config.path} has no entry for model {self.model_name!r}; nothing to roll back. "
                              "Fix: push the model with kerasknow first.")
        on_disk = self.versions()
        current = labels.get(STABLE, max(versions))
        if to is None:
            older = [v for v in on_disk if v < current]
            if not older:
                raise ConfigError(f"No version of {self.model_name!r} is older than {current} (versions on disk: "
                                  f"{on_disk}); nothing to roll back to.")
            to = older[-1]
        if to not in on_disk:
            raise ConfigError(f"--to must be a complete version of {self.model_name!r}. Received: --to {to}; versions "
                              f"on disk: {on_disk}.")
        if to not in versions:
            self._write(versions | {to}, labels)
            return to, False
        self._write({to}, {STABLE: to})
        return to, True

    def retire(self, keep_versions: int) -> List[int]:
        """Deletes old versions beyond the newest `keep_versions`, never one `models.config`
        loads or labels, nor the newest (what a `--model_base_path` server serves).

        Args:
            keep_versions: Complete versions to keep; 0 keeps all.

        Returns:
            The deleted versions.
        """
        if not self.remote:  # what a killed retire left (call under `lock()`)
            for name in os.listdir(self.base_path):
                if name.startswith(RETIRED_PREFIX):
                    shutil.rmtree(os.path.join(self.base_path, name), ignore_errors=True)
        on_disk = self.versions()
        if not keep_versions or len(on_disk) <= keep_versions:
            return []
        versions, labels = self.entry()
        protected = versions | set(labels.values()) | {on_disk[-1]}
        removed = []
        for version in on_disk[:-keep_versions]:
            if version in protected:
                continue
            self._delete(version)
            removed.append(version)
        return removed

    def _delete(self, version: int) -> None:
        """Deletes a version so that no server sees it half deleted: locally it is renamed out of
        the version namespace first; on object stores `saved_model.pb` goes first."""
        path = self.version_dir(version)
        if self.remote:
            for name in SAVED_MODEL_FILES:
                if tf.io.gfile.exists(os.path.join(path, name)):
                    tf.io.gfile.remove(os.path.join(path, name))
            remove_tree(path)
            return
        retired = os.path.join(self.base_path, f"{RETIRED_PREFIX}{version}-{uuid.uuid4().hex[:8]}")
        os.rename(path, retired)
        tf.io.gfile.rmtree(retired)

    def describe(self) -> str:
        """One line per version on disk: whether the version policy loads it, its labels, its source."""
        versions, labels = self.entry()
        by_version: Dict[int, List[str]] = {}
        for label, version in labels.items():
            by_version.setdefault(version, []).append(label)
        lines = [f"model {self.model_name!r} at {self.base_path} ({self.config.path}):"]
        for version in reversed(self.versions()):
            marks = ", ".join(sorted(by_version.get(version, [])))
            policy = "in policy" if version in versions else "on disk"
            source = self.push_record(version).get("source", "")
            lines.append(f"  {version}  {policy:9s}  {marks or '-':14s} {source}")
        if len(lines) == 1:
            lines.append("  (no versions)")
        return "\n".join(lines)


def wait_until_available(server: str, model_name: str, version: int, timeout: float,
                         poll: float = 1.0) -> bool:
    """Polls a TF Serving (or `DevModelServer`) until `version` of `model_name` is AVAILABLE.

    Returns:
        True when it became available within `timeout` seconds.
    """
    from kerasknow.serving.prediction_client import PredictionClient
    from kerasknow.serving.serving_error import ServingError

    deadline = time.monotonic() + timeout
    with PredictionClient(server, model_name, timeout=max(1.0, min(10.0, timeout))) as client:
        while True:
            try:
                if (version, "AVAILABLE") in client.status():
                    return True
            except (ServingError, ConnectionError) as e:
                logger.info("Waiting for %s to load version %d of %r: %s", server, version, model_name, e)
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)


def copy_tree(source: str, target: str) -> None:
    """Copies a folder with `tf.io.gfile`, `saved_model.pb` (and `.pbtxt`) last."""
    # Joined as strings: os.path.relpath would take `gs://b/x` for a relative local path.
    source, target = source.rstrip("/"), target.rstrip("/")
    files = list_files(source)
    tf.io.gfile.makedirs(target)
    for folder in sorted({os.path.dirname(f) for f in files} - {""}):
        tf.io.gfile.makedirs(f"{target}/{folder}")
    for relative in sorted(files, key=lambda f: f in SAVED_MODEL_FILES):
        copy_file(f"{source}/{relative}", f"{target}/{relative}")

