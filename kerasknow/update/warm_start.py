"""A model's weights kept beside its SavedModel, and an update's warm start from them.

The SavedModel TF Serving loads holds the exported graph; an update needs the Keras weights.
`save_weights` writes them (with the label vocabulary they were trained with) into the model
artifact's `Format-Keras/`; `warm_start` assigns them to a newly built model of the same
architecture whose head may have grown: old classes keep their rows (class ids are positions in
the label vocabulary, and an update only appends), new ones keep their fresh initialisation.
"""
import io
import json
import os
from typing import List, Sequence

KERAS_DIR = "Format-Keras"
WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"
TRAINING_FILE = "training.json"


def keras_dir(serving_model_dir: str) -> str:
    """`<model artifact>/Format-Keras` beside TFX's `<model artifact>/Format-Serving`."""
    return os.path.join(os.path.dirname(os.path.normpath(serving_model_dir)), KERAS_DIR)


def save_weights(model, directory: str, labels: Sequence[str], training: dict = None) -> str:
    """Writes `model`'s weights (in `model.weights` order), its labels and the training's cost.

    Returns:
        `directory`.
    """
    import numpy as np
    from tfx.dsl.io import fileio

    fileio.makedirs(directory)
    buffer = io.BytesIO()
    weights = {f"w{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(model.weights)}
    np.savez(buffer, names=np.array([v.name for v in model.weights]), **weights)
    with fileio.open(os.path.join(directory, WEIGHTS_FILE), "wb") as f:
        f.write(buffer.getvalue())
    with fileio.open(os.path.join(directory, LABELS_FILE), "w") as f:
        f.write(json.dumps(list(labels)))
    if training is not None:
        with fileio.open(os.path.join(directory, TRAINING_FILE), "w") as f:
            f.write(json.dumps(training, indent=2))
    return directory


def saved_labels(directory: str) -> List[str]:
    """The labels a saved model was trained with."""
    from tfx.dsl.io import fileio

    with fileio.open(os.path.join(directory, LABELS_FILE), "r") as f:
        return json.loads(f.read())


def warm_start(model, directory: str, labels: Sequence[str]) -> List[str]:
    """Assigns the weights saved in `directory` to `model`, growing the head for new labels.

    Args:
        model: A newly built model of the saved model's architecture, for `labels`.
        directory: A `save_weights` folder.
        labels: `model`'s label vocabulary; the saved labels must be its prefix (an update keeps
            the old labels' positions and appends new ones).

    Returns:
        The names of the weights whose class dimension grew (the head).

    Raises:
        ValueError: When the saved labels are not a prefix of `labels`, or the architectures
            differ (other than in the number of classes).
    """
    import numpy as np
    from tfx.dsl.io import fileio

    old_labels = saved_labels(directory)
    if list(labels[:len(old_labels)]) != list(old_labels):
        raise ValueError(f"The new label vocabulary must start with the old one, in its order (the served "
                         f"class ids). Received: old={old_labels[:10]}, new={list(labels)[:10]}")
    with fileio.open(os.path.join(directory, WEIGHTS_FILE), "rb") as f:
        saved = np.load(io.BytesIO(f.read()), allow_pickle=False)
        old = [saved[f"w{i:05d}"] for i in range(len(saved["names"]))]
    if len(old) != len(model.weights):
        raise ValueError(f"The saved model has {len(old)} weights, the new one {len(model.weights)}: not the same "
                         f"architecture. Received: directory={directory!r}")
    grown: List[str] = []
    for variable, value in zip(model.weights, old):
        shape = tuple(variable.shape)
        if shape == value.shape:
            variable.assign(value)
            continue
        if shape[:-1] == value.shape[:-1] and shape[-1] == len(labels) and value.shape[-1] == len(old_labels):
            merged = variable.numpy()
            merged[..., :len(old_labels)] = value
            variable.assign(merged)
            grown.append(variable.name)
            continue
        raise ValueError(f"Weight {variable.name} has shape {shape}, the saved one {value.shape}: not the same "
                         f"architecture. Received: directory={directory!r}")
    return grown
