"""Elastic weight consolidation: a diagonal-Fisher penalty that holds weights the old knowledge needs."""
from typing import List, Sequence


def fisher_diagonal(model, dataset, grown: Sequence[str] = (), old_classes: int = 0, max_batches: int = 50) -> List:
    """The empirical Fisher information of each trainable weight on the old knowledge, normalised
    to mean 1 over all weights (so `update.ewc_lambda` does not depend on the model's size).

    Squared gradients of the loss on batches of old examples (`dataset`, e.g. the replay sample),
    averaged. Columns of a grown head that belong to new classes get 0: the old knowledge says
    nothing about them.

    Args:
        model: The warm-started, compiled model (its weights are the old model's).
        dataset: Batches of `(features, labels)` of the old knowledge.
        grown: Names of the weights whose class dimension grew (`warm_start`'s return value).
        old_classes: How many classes the old model had.
        max_batches: The most batches measured.

    Returns:
        One tensor per `model.trainable_variables`, of its shape.
    """
    import tensorflow as tf

    squares = [tf.zeros_like(v, dtype=tf.float32) for v in model.trainable_variables]
    batches = 0
    for batch in dataset.take(max_batches):
        x, y, weights = tf.keras.utils.unpack_x_y_sample_weight(batch)
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x, y, model(x, training=False), weights)
        grads = tape.gradient(loss, model.trainable_variables)
        squares = [s + tf.square(tf.cast(g, tf.float32)) if g is not None else s for s, g in zip(squares, grads)]
        batches += 1
    if not batches:
        return squares
    fisher = [s / batches for s in squares]
    for i, (variable, value) in enumerate(zip(model.trainable_variables, fisher)):
        if variable.name in grown:
            mask = tf.concat([tf.ones([old_classes]), tf.zeros([variable.shape[-1] - old_classes])], 0)
            fisher[i] = value * mask
    total = tf.add_n([tf.reduce_sum(f) for f in fisher])
    count = float(sum(int(tf.size(f)) for f in fisher))
    scale = count / tf.maximum(total, 1e-12)
    return [f * scale for f in fisher]


def add_ewc_penalty(model, fisher: List, strength: float) -> None:
    """Adds `strength / 2 * sum_i F_i (w_i - w*_i)^2` to `model`'s losses, w* its weights now.

    With the Fisher normalised to mean 1, `strength` weighs the summed squared drift of the
    weights the old knowledge relies on against the loss on the new knowledge.
    """
    import tensorflow as tf

    anchors = [tf.constant(v.numpy(), dtype=tf.float32) for v in model.trainable_variables]
    pairs = list(zip(model.trainable_variables, anchors, fisher))

    def penalty():
        total = tf.add_n([tf.reduce_sum(f * tf.square(tf.cast(v, tf.float32) - a)) for v, a, f in pairs])
        return 0.5 * strength * total

    model.add_loss(penalty)
