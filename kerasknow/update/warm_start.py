"""A model's weights kept beside its SavedModel, and an update's warm start from them.

The SavedModel TF Serving loads holds the exported graph; an update needs the Keras weights.
`save_weights` writes them (with the label vocabulary they were trained with) into the model
artifact's `Format-Keras/`; `warm_start` assigns them to a newly built model of the same
architecture whose head may have grown: old classes keep their rows (class ids are positions in
the label vocabulary, and an update only appends), new ones keep their fresh initialisation.

Weights go by position in `weights_in_build_order` (the order with nothing frozen), so a model
trained with part of it frozen (`finetune.strategy`) saves in the order a newly built one loads.
A LoRA model is saved merged (`merge_lora` runs before export), so its file holds the base
weights; a new LoRA model takes them into its base layers and starts its updates afresh.
"""
import io
import json
import os
from typing import List, Sequence

KERAS_DIR = "Format-Keras"
WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"
TRAINING_FILE = "training.json"
#: The trained part alone (LoRA updates or adapters, and the head) and what it adapts.
TRAINABLE_FILE = "trainable.npz"
TRAINABLE_INFO_FILE = "trainable.json"


def keras_dir(serving_model_dir: str) -> str:
    """`<model artifact>/Format-Keras` beside TFX's `<model artifact>/Format-Serving`."""
    return os.path.join(os.path.dirname(os.path.normpath(serving_model_dir)), KERAS_DIR)


def save_weights(model, directory: str, labels: Sequence[str], training: dict = None) -> str:
    """Writes `model`'s weights (in `weights_in_build_order`), its labels and the training's cost.

    Returns:
        `directory`.
    """
    import numpy as np
    from tfx.dsl.io import fileio

    from kerasknow.models.weight_freezing import weights_in_build_order

    fileio.makedirs(directory)
    buffer = io.BytesIO()
    variables = weights_in_build_order(model)
    weights = {f"w{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(variables)}
    np.savez(buffer, names=np.array([v.name for v in variables]), **weights)
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
    from kerasknow.models.weight_freezing import weights_in_build_order

    variables = weights_in_build_order(model)
    if len(old) != len(variables):
        # A LoRA model's updates are not in a merged model's file: they start afresh (B = 0).
        lora = {v.ref() for v in _lora_variables(model)}
        variables = [v for v in variables if v.ref() not in lora]
    if len(old) != len(variables):
        raise ValueError(f"The saved model has {len(old)} weights, the new one {len(variables)}: not the same "
                         f"architecture (an adapter model updates with finetune.strategy: adapter). Received: "
                         f"directory={directory!r}")
    grown: List[str] = []
    for variable, value in zip(variables, old):
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


def _lora_variables(model) -> list:
    from kerasknow.models.lora_dense import LoRADense

    return [v for layer in model._flatten_layers(include_self=True, recursive=True) if isinstance(layer, LoRADense)
            for v in (layer.lora_a, layer.lora_b)]


def save_trainable_part(model, directory: str, info: dict) -> int:
    """Writes the weights `model` trains on their own (`trainable.npz`) with what they adapt
    (`trainable.json`: the strategy, the base checkpoint, the settings), beside `save_weights`' file.

    For `lora` and `adapter` these are the LoRA updates or the adapters and the head: a small
    file that, with the base checkpoint it names, rebuilds the fine-tuned model. Call it before
    `merge_lora` (which removes the LoRA weights).

    Args:
        model: The trained model.
        directory: The model artifact's `Format-Keras/`.
        info: What the part adapts (JSON-serialisable), stored in `trainable.json`.

    Returns:
        The size of `trainable.npz` in bytes.
    """
    import numpy as np
    from tfx.dsl.io import fileio

    fileio.makedirs(directory)
    buffer = io.BytesIO()
    variables = list(model.trainable_weights)
    np.savez(buffer, names=np.array([v.name for v in variables]),
             **{f"w{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(variables)})
    data = buffer.getvalue()
    with fileio.open(os.path.join(directory, TRAINABLE_FILE), "wb") as f:
        f.write(data)
    with fileio.open(os.path.join(directory, TRAINABLE_INFO_FILE), "w") as f:
        f.write(json.dumps({**info, "bytes": len(data)}, indent=2))
    return len(data)
