"""Learning without forgetting: distil the old model's outputs on the old classes while training."""
from typing import Optional

#: Labels of positions that carry no target (NER padding, word continuations): no distillation.
IGNORE_LABEL = -100


def _log_probs(outputs, probabilities: bool):
    import tensorflow as tf

    outputs = tf.cast(outputs, tf.float32)
    return tf.math.log(tf.clip_by_value(outputs, 1e-7, 1.0)) if probabilities else tf.nn.log_softmax(outputs, -1)


def distillation_loss(teacher_outputs, student_outputs, old_classes: int, temperature: float,
                      probabilities: bool = False, labels=None):
    """`T^2 * KL(teacher || student)` over the old classes, softened by `temperature`.

    Args:
        teacher_outputs: The old model's logits (or probabilities) `[..., old_classes]`.
        student_outputs: The new model's `[..., classes]`; only its first `old_classes` count.
        old_classes: How many classes the old model has (the prefix of the new vocabulary).
        temperature: Softmax temperature T.
        probabilities: The outputs are probabilities (image classifier), not logits.
        labels: With one dimension less than the outputs (NER: per token), positions whose label is
            `IGNORE_LABEL` are left out.

    Returns:
        A scalar float32 tensor.
    """
    import tensorflow as tf

    t = _log_probs(teacher_outputs, probabilities)[..., :old_classes] / temperature
    s = _log_probs(student_outputs, probabilities)[..., :old_classes] / temperature
    teacher = tf.nn.softmax(t, -1)
    kl = tf.reduce_sum(teacher * (tf.nn.log_softmax(t, -1) - tf.nn.log_softmax(s, -1)), -1)
    if labels is not None and labels.shape.rank == kl.shape.rank:
        mask = tf.cast(tf.not_equal(tf.cast(labels, tf.int32), IGNORE_LABEL), tf.float32)
        return temperature ** 2 * tf.reduce_sum(kl * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
    return temperature ** 2 * tf.reduce_mean(kl)


def install_distillation(student, teacher, old_classes: int, weight: float, temperature: float,
                         probabilities: bool = False, teacher_inputs: Optional[callable] = None) -> None:
    """Makes `student.fit` add `weight * distillation_loss(...)` against the frozen `teacher`.

    The student keeps its own compiled loss, metrics and optimizer; only its train step gains
    the distillation term (one more forward pass of the teacher per step). The exported model is
    the student itself.

    Args:
        student: The new (warm-started, compiled) model.
        teacher: The old model, with the old label vocabulary; it is frozen here.
        old_classes: The old vocabulary's size.
        weight: `update.lwf_weight`.
        temperature: `update.lwf_temperature`.
        probabilities: The models output probabilities (image classifier), not logits.
        teacher_inputs: Maps the student's inputs to the teacher's (identity by default).
    """
    import types

    import tensorflow as tf

    teacher.trainable = False

    def train_step(self, data):
        x, y, sample_weight = tf.keras.utils.unpack_x_y_sample_weight(data)
        teacher_out = teacher(teacher_inputs(x) if teacher_inputs else x, training=False)
        with tf.GradientTape() as tape:
            out = self(x, training=True)
            loss = self.compute_loss(x, y, out, sample_weight)
            loss += weight * distillation_loss(teacher_out, out, old_classes, temperature, probabilities, y)
        self._validate_target_and_loss(y, loss)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self.compute_metrics(x, y, out, sample_weight)

    student.train_step = types.MethodType(train_step, student)
    student.train_function = None  # rebuilt with the new step on the next fit()
