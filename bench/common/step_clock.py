"""A Keras callback timing each training batch, shared by the benchmarks."""
import time


def step_clock():
    """A callback recording the wall seconds of each training batch (input wait + step).

    `fit` also spends time around the batches (making the iterator, filling a shuffle buffer,
    callbacks); the Trainer pays that once per epoch, a benchmark once per short `fit` call.

    Returns:
        A `tf.keras.callbacks.Callback` whose `step_seconds` list holds one entry per batch.
    """
    import tensorflow as tf

    class StepClock(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step_seconds = []

        def on_train_batch_begin(self, batch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.step_seconds.append(time.perf_counter() - self._start)

    return StepClock()
