import numpy as np
import pytest
import tensorflow as tf

from kerasknow.update.distillation import distillation_loss, install_distillation


def test_no_distillation_loss_when_the_student_agrees_on_the_old_classes():
    teacher = tf.constant([[2.0, -1.0], [0.5, 0.1]])
    student = tf.constant([[2.0, -1.0, 5.0], [0.5, 0.1, -3.0]])  # the new class's logit is ignored
    assert float(distillation_loss(teacher, student, 2, temperature=2.0)) == pytest.approx(0.0, abs=1e-6)
    other = tf.constant([[-1.0, 2.0, 0.0], [0.5, 0.1, 0.0]])
    t, s = tf.nn.softmax(teacher / 2.0), tf.nn.softmax(other[:, :2] / 2.0)
    kl = tf.reduce_sum(t * (tf.math.log(t) - tf.math.log(s)), -1)
    assert float(distillation_loss(teacher, other, 2, 2.0)) == pytest.approx(4.0 * float(tf.reduce_mean(kl)), rel=1e-5)


def test_token_positions_without_a_label_are_left_out():
    teacher = tf.constant([[[3.0, 0.0], [0.0, 3.0]]])
    student = tf.constant([[[3.0, 0.0, 0.0], [3.0, 0.0, 0.0]]])  # disagrees at position 1 only
    masked = distillation_loss(teacher, student, 2, 1.0, labels=tf.constant([[0, -100]]))
    assert float(masked) == pytest.approx(0.0, abs=1e-6)
    assert float(distillation_loss(teacher, student, 2, 1.0, labels=tf.constant([[0, 1]]))) > 1.0


def test_probabilities_are_distilled_through_their_logs():
    p = tf.constant([[0.7, 0.3]])
    assert float(distillation_loss(p, tf.constant([[0.7, 0.3, 0.0]]) * 1.0, 2, 1.0, probabilities=True)) == \
        pytest.approx(0.0, abs=1e-5)


def test_the_student_learns_toward_the_teacher_on_the_old_classes():
    tf.keras.utils.set_random_seed(0)
    x = np.random.RandomState(0).rand(64, 4).astype("float32")
    teacher = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
    student = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    student.compile(tf.keras.optimizers.SGD(0.05), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    y = np.full(64, 2)  # the new knowledge: only the new class

    def gap():
        return float(distillation_loss(teacher(x), student(x), 2, 2.0))

    plain = tf.keras.models.clone_model(student)
    plain.set_weights(student.get_weights())
    plain.compile(tf.keras.optimizers.SGD(0.05), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    install_distillation(student, teacher, old_classes=2, weight=1.0, temperature=2.0)
    student.fit(x, y, epochs=30, verbose=0)
    plain.fit(x, y, epochs=30, verbose=0)
    assert gap() < float(distillation_loss(teacher(x), plain(x), 2, 2.0))
    assert not teacher.trainable
