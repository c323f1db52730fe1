"""A metric counting the examples a `fit` call trains on."""


def examples_seen():
    """A Keras metric whose result is the number of examples seen (batches may be partial).

    Returns:
        A `tf.keras.metrics.Metric` named `examples`.
    """
    import tensorflow as tf

    class ExamplesSeen(tf.keras.metrics.Metric):
        def __init__(self, name="examples", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.cast(tf.shape(y_true)[0], self.dtype))

        def result(self):
            return self.count

    return ExamplesSeen()
