"""Validates, and keeps, the moving average of the weights an optimizer with `use_ema` tracks."""
import tensorflow as tf


class MovingAverageValidation(tf.keras.callbacks.Callback):
    """Copies the optimizer's moving average of the weights into the model before each validation.

    A Keras optimizer built with `use_ema=True` updates an exponential moving average of the
    trainable weights at every step, but copies it into the model only every
    `ema_overwrite_frequency` steps (a count that would have to match the epoch's) and when `fit`
    ends. Copied when validation begins instead, every epoch is scored, early stopping compares
    and `restore_best_weights` keeps, the average; training then goes on from it (as Keras'
    overwrite does). Nothing happens when the model's optimizer keeps no average, so the callback
    follows a recompile (a second training phase's new optimizer).

    Example:

    >>> model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(tf.keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), "mse")
    >>> x = tf.ones((8, 2))
    >>> _ = model.fit(x, x[:, :1], validation_data=(x, x[:, :1]), epochs=1, verbose=0,
    ...               callbacks=[MovingAverageValidation()])
    >>> averaged = model.optimizer._model_variables_moving_average
    >>> all(bool(tf.reduce_all(v == a)) for v, a in zip(model.trainable_variables, averaged))
    True
    """

    def on_test_begin(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if getattr(optimizer, "use_ema", False) and getattr(optimizer, "_model_variables_moving_average", None):
            optimizer.finalize_variable_values(self.model.trainable_variables)
