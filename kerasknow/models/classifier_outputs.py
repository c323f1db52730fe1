"""The outputs of kerasknow's classifier serving signatures, from the class probabilities."""
from typing import Dict, List

import tensorflow as tf


def classifier_outputs(probabilities: tf.Tensor, labels: List[str]) -> Dict[str, tf.Tensor]:
    """`labels` (tf.string `[B]`, the predicted class), `class_ids` (int64 `[B]`), `probabilities`
    (float32 `[B, C]`) and `classes` (tf.string `[B, C]`: the class names in `probabilities`' order,
    as TF Estimator's `classes`), so a client can name the top k classes of a row.

    Args:
        probabilities: float32 `[B, C]`.
        labels: The `C` class names.

    Example:

    >>> out = classifier_outputs(tf.constant([[0.2, 0.8]]), ["a", "b"])
    >>> out["labels"].numpy().tolist(), out["classes"].numpy().tolist()
    ([b'b'], [[b'a', b'b']])
    """
    names = tf.constant(list(labels), dtype=tf.string)
    class_ids = tf.argmax(probabilities, axis=-1, output_type=tf.int64)
    return {"labels": tf.gather(names, class_ids), "class_ids": class_ids, "probabilities": probabilities,
            "classes": tf.tile(names[None, :], [tf.shape(probabilities)[0], 1])}
