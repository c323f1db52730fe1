"""Loss weights that give every class of an update's training set the same total weight.

An update trains on the new knowledge and a replay sample of the old: with `update.replay_size`
250 and five old classes, 50 replayed examples of each old class meet every example the new
classes have (160 each on the Fashion-MNIST split). Trained on that, the head learns a prior
for the new classes and old held-out examples drift into them (absorption). Weighting each
example by the inverse of its class's count makes every class count alike in the loss, at no
extra training cost (docs/knowledge-update.md has the measurements).
"""
from typing import Dict, List, Sequence


def class_weights(labels: Sequence[str], counts: Dict[str, int], power: float = 1.0) -> List[float]:
    """The loss weight of each class id: `(1 / n_c) ** power`, scaled so the weights average 1
    over the training examples (the loss keeps its scale, the learning rate its meaning).

    `power` 1 gives each class present the same total weight (`N / (K * n_c)` for `K` classes);
    0 weighs every example 1; in between evens the classes out part of the way. A class without
    training examples gets 1.

    Args:
        labels: The label vocabulary, in class-id order.
        counts: Training examples per label.
        power: How far to even the classes out, from 0 to 1 (`update.class_balance`).

    Returns:
        One weight per label of `labels`.

    Raises:
        ValueError: For a count that is not a positive integer, or a label outside `labels`.

    Example:

    >>> class_weights(["a", "b", "c"], {"a": 30, "b": 10})
    [0.6666666666666666, 2.0, 1.0]
    >>> [round(w, 3) for w in class_weights(["a", "b"], {"a": 30, "b": 10}, power=0.5)]
    [0.845, 1.464]
    """
    unknown = sorted(set(counts) - set(labels))
    if unknown:
        raise ValueError(f"Every counted label must be in the label vocabulary {list(labels)}. "
                         f"Received: counts for {unknown}")
    bad = {label: n for label, n in counts.items() if isinstance(n, bool) or not isinstance(n, int) or n < 1}
    if bad:
        raise ValueError(f"Class counts must be positive integers. Received: {bad}")
    raw = {label: n ** -power for label, n in counts.items()}
    scale = sum(counts.values()) / sum(counts[label] * w for label, w in raw.items())
    return [raw[label] * scale if label in counts else 1.0 for label in labels]


def weighted_by_class(dataset, weights: Sequence[float]):
    """`dataset` of `(x, class_ids)` batches as `(x, class_ids, sample_weights)`.

    Args:
        dataset: A `tf.data.Dataset` of `(features, class_ids)` with integer class ids.
        weights: The weight of each class id (`class_weights`).

    Returns:
        The dataset with each example's weight as Keras' `sample_weight`.

    Example:

    >>> import tensorflow as tf
    >>> ds = tf.data.Dataset.from_tensors((tf.zeros([2, 1]), tf.constant([0, 1])))
    >>> [w.numpy().tolist() for _, _, w in weighted_by_class(ds, [0.5, 2.0])]
    [[0.5, 2.0]]
    """
    import tensorflow as tf

    table = tf.constant(list(weights), tf.float32)
    return dataset.map(lambda x, y: (x, y, tf.gather(table, tf.cast(y, tf.int32))),
                       num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
