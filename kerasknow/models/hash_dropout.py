"""Dropout whose mask comes from an integer hash of each element's index: cheap under XLA."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

from typing import Any, Dict, Optional, Sequence

import tensorflow as tf

from kerasknow.errors import ConfigError

# lowbias32 (C. Wellons, "Prospecting for hash functions"): a 32-bit integer hash with full
# avalanche and low bias; two multiplies and three xor-shifts per element.
_SPREAD = 0x9E3779B1  # odd (golden ratio): makes neighbouring indices far apart before hashing
_ROUNDS = ((16, 0x7FEB352D), (15, 0x846CA68B))
_LAST_SHIFT = 16
_REPLICA_MIX = 0x632BE5AB


def _hash32(x: tf.Tensor) -> tf.Tensor:
    for shift, multiplier in _ROUNDS:
        x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(shift, tf.uint32)))
        x = x * tf.constant(multiplier, tf.uint32)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(_LAST_SHIFT, tf.uint32)))


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class HashDropout(tf.keras.layers.Layer):
    """A drop-in for `tf.keras.layers.Dropout` whose mask is 3.4x cheaper under XLA on a CPU.

    Keras' dropout asks TensorFlow's random number generator for one uniform float per
    element; under XLA that is a Philox loop per element, about 20% of a BERT training step on
    a CPU (millions of attention probabilities per step). This layer draws **one** random
    32-bit seed per call from the same generator and derives each element's keep bit from an
    integer hash of the element's index mixed with that seed (lowbias32, full avalanche). XLA
    fuses the hash into the dropout's multiply, so the mask costs a few integer operations per
    element. Each call (each training step) draws a new seed, so masks differ between steps
    as with Keras' dropout; replicas of a `tf.distribute` strategy mix their replica id in.

    The semantics are Keras' (inverted dropout): in training, each element is kept with
    probability `1 - rate` (quantised to 2**-32) and scaled by `1 / (1 - rate)`, otherwise
    set to 0; at inference the input passes through unchanged. Without XLA the hash runs as
    several separate TensorFlow kernels, which is no faster than Keras' dropout: use it where
    the step compiles with XLA (`use_hash_dropout` below does this for a built model).

    Args:
        rate: Fraction of the elements to drop, in [0, 1).
        noise_shape: As in `tf.keras.layers.Dropout`: the shape of the mask, broadcast to the
            input; `None` entries take the input's size. Default: one mask entry per element.
        seed: Seed of the per-call seed draw (an op-level seed of `tf.random.uniform`).
        **kwargs: Base `Layer` arguments (`name`, `dtype`, ...).

    Raises:
        ConfigError: For a rate outside [0, 1).

    Example:

    >>> layer = HashDropout(0.1)
    >>> y = layer(tf.ones([4, 8]), training=True)   # about 10% zeros, the rest 1 / 0.9
    >>> bool(tf.reduce_all(layer(tf.ones([4, 8]), training=False) == 1.0))
    True
    """

    def __init__(self, rate: float, noise_shape: Optional[Sequence[Optional[int]]] = None,
                 seed: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ConfigError(f"`rate` must be a number in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True

    def _mask_shape(self, inputs: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(inputs)
        if self.noise_shape is None:
            return shape
        return tf.stack([shape[i] if d is None else tf.constant(d, tf.int32)
                         for i, d in enumerate(self.noise_shape)])

    def _call_seed(self) -> tf.Tensor:
        seed = tf.random.uniform([], minval=-(2 ** 31), maxval=2 ** 31 - 1, dtype=tf.int32, seed=self.seed)
        seed = tf.bitcast(seed, tf.uint32)
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            # Replicas may draw equal seeds from equally initialised generators.
            replica_id = tf.cast(replica.replica_id_in_sync_group, tf.uint32)
            seed = _hash32(tf.bitwise.bitwise_xor(seed, replica_id * tf.constant(_REPLICA_MIX, tf.uint32)))
        return seed

    def keep_mask(self, inputs: tf.Tensor) -> tf.Tensor:
        """A fresh boolean keep mask (True: keep) of the noise shape, for one training call."""
        shape = self._mask_shape(inputs)
        index = tf.bitcast(tf.range(tf.reduce_prod(shape), dtype=tf.int32), tf.uint32)
        bits = _hash32(tf.bitwise.bitwise_xor(index * tf.constant(_SPREAD, tf.uint32), self._call_seed()))
        threshold = tf.constant(min(int(round(self.rate * 2 ** 32)), 2 ** 32 - 1), tf.uint32)
        return tf.reshape(bits >= threshold, shape)

    def call(self, inputs: tf.Tensor, training: Optional[bool] = None) -> tf.Tensor:
        # Keras passes training=None outside fit/evaluate: the learning phase, as Dropout does.
        if training is None:
            training = tf.keras.backend.learning_phase()
        static = tf.get_static_value(training) if tf.is_tensor(training) else training
        if self.rate == 0.0 or (static is not None and not bool(static)):
            return tf.identity(inputs)

        def dropped():
            scale = tf.cast(1.0 / (1.0 - self.rate), inputs.dtype)
            return tf.where(self.keep_mask(inputs), inputs * scale, tf.zeros_like(inputs))

        if static is not None:
            return dropped()
        return tf.cond(tf.cast(training, tf.bool), dropped, lambda: tf.identity(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


def use_hash_dropout(model: tf.keras.layers.Layer) -> int:
    """Replaces every `tf.keras.layers.Dropout` held as a layer attribute by a `HashDropout`.

    Transformers' TF BERT layers keep their dropouts as attributes (`self.dropout`) and call
    them by attribute, so replacing the attribute changes the computation; rate, name and
    dtype policy are kept. Dropout layers have no weights, so checkpoints are unaffected.
    Call it on a built model before compiling its training step.

    Args:
        model: A Keras layer or model (for example a `TFBertForSequenceClassification`).

    Returns:
        How many dropout layers were replaced.

    Example:

    ```python
    bert = transformers.TFBertForSequenceClassification.from_pretrained(path)
    use_hash_dropout(bert)   # MiniLM: 6 layers x 3 + embeddings + head
    # -> 20
    ```
    """
    replaced = 0
    for layer in [model, *model.submodules]:
        if not isinstance(layer, tf.keras.layers.Layer):
            continue
        for attr, value in list(vars(layer).items()):
            if attr.startswith("_") or type(value) is not tf.keras.layers.Dropout:
                continue
            setattr(layer, attr, HashDropout(value.rate, noise_shape=value.noise_shape, seed=value.seed,
                                             name=value.name, dtype=value.dtype_policy))
            replaced += 1
    return replaced
