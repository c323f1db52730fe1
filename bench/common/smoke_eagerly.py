"""Smoke runs execute TensorFlow functions eagerly."""


def smoke_eagerly(smoke: bool) -> None:
    """In a smoke run, makes every `tf.function` (Keras' train step included) run eagerly.

    Tracing a model's train step (autograph converting transformers' and Keras' code) and
    compiling it with XLA take 5-20 s per model on two cores, most of a smoke run otherwise; the
    measured runs and the model tests exercise them. Eagerly, a smoke run checks the
    benchmark's own code (options, data, variants, rounds, figures) in seconds. tf.data's
    functions are traced either way.

    Args:
        smoke: Whether this is a smoke run; nothing changes otherwise.
    """
    if smoke:
        import tensorflow as tf

        tf.config.run_functions_eagerly(True)
