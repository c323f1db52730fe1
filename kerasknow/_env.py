"""Process environment that must be set before TensorFlow is first imported.

TFX 1.16's libraries (TF Transform, TFMA) and transformers' TF classes use Keras 2
(`tf_keras`), while TF 2.16 installs Keras 3 as `keras`. `TF_USE_LEGACY_KERAS=1` makes
`tf.keras` resolve to `tf_keras`; it only works if set before `import tensorflow`.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# transformers must never reach a hub from a kerasknow process unless the user opts in.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def legacy_keras_in_force() -> bool:
    """Returns True when `tf.keras` is Keras 2 (`tf_keras`)."""
    return os.environ.get("TF_USE_LEGACY_KERAS", "").lower() in ("1", "true", "yes")
