"""A Dense layer with a trainable low-rank update beside its frozen kernel (LoRA)."""
from typing import Any, Dict, Optional

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class LoRADense(tf.keras.layers.Layer):
    """Wraps a `Dense` layer: `base(x) + (alpha / rank) * dropout(x) @ A @ B`, base frozen.

    LoRA (Hu et al., 2021) learns a low-rank update of a pretrained kernel instead of the kernel:
    `A` is `[in, rank]`, `B` `[rank, out]`. `B` starts at zeros, so the wrapped model starts
    equal to the pretrained one; `A` starts random (He uniform, as in the paper's code) so the
    first gradients reach `B`. The wrapped layer is frozen (`base.trainable = False`): only
    `A` and `B` train. `merged_kernel()` is the kernel a plain `Dense` would need to compute the
    same outputs; `kerasknow.models.lora_merge.merge_lora` folds it in before export.

    transformers' TF BERT calls its Dense layers as `layer(inputs=...)`; so does this layer.

    Args:
        base: The `tf.keras.layers.Dense` to adapt (built or not); it becomes frozen.
        rank: The rank r of the update; >= 1.
        alpha: Scale numerator: the update is multiplied by `alpha / rank`; > 0.
        dropout: Dropout on the branch's input during training, in [0, 1).
        **kwargs: `tf.keras.layers.Layer` arguments (`name`, ...).

    Raises:
        ConfigError: For a `base` that is not a Dense layer, or an invalid rank, alpha or dropout.

    Example:

    >>> dense = tf.keras.layers.Dense(4)
    >>> dense.build((None, 3))
    >>> lora = LoRADense(dense, rank=2, alpha=4.0)
    >>> x = tf.ones([1, 3])
    >>> bool(tf.reduce_all(lora(x) == dense(x)))  # B starts at zeros
    True
    >>> [w.name.split("/")[-1] for w in lora.trainable_weights]  # the layer's name is uniquified
    ['lora_a:0', 'lora_b:0']
    """

    def __init__(self, base: tf.keras.layers.Dense, rank: int = 8, alpha: float = 16.0, dropout: float = 0.0,
                 **kwargs):
        if not isinstance(base, tf.keras.layers.Dense):
            raise ConfigError(f"LoRADense wraps a tf.keras.layers.Dense. Received: base={type(base).__name__}")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ConfigError(f"`rank` must be an int >= 1. Received: rank={rank!r}")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ConfigError(f"`alpha` must be a positive number. Received: alpha={alpha!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ConfigError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
        kwargs.setdefault("name", f"lora_{base.name}")
        kwargs.setdefault("dtype", base.dtype_policy)
        super().__init__(**kwargs)
        self.base = base
        self.base.trainable = False
        self.rank = int(rank)
        self.alpha = float(alpha)
        self.dropout_rate = float(dropout)
        self.dropout = tf.keras.layers.Dropout(self.dropout_rate) if self.dropout_rate else None
        self.lora_a: Optional[tf.Variable] = None
        self.lora_b: Optional[tf.Variable] = None
        if base.built:
            # Beside the base layer in the variable names: `.../attention/self/lora_query/lora_a`.
            scope = base.kernel.name.rsplit("/", 2)[0] + "/" if "/" in base.kernel.name else ""
            with tf.name_scope(f"{scope}{self.name}/"):
                self.build(tf.TensorShape([None, base.kernel.shape[0]]))

    @property
    def scale(self) -> float:
        """`alpha / rank`, the factor of the update."""
        return self.alpha / self.rank

    def build(self, input_shape) -> None:
        input_shape = tf.TensorShape(input_shape)
        if not self.base.built:
            self.base.build(input_shape)
        units_in, units_out = int(self.base.kernel.shape[0]), int(self.base.kernel.shape[1])
        # Variables get names of their own (not "kernel"/"bias"), so the branch is easy to find
        # and to leave out of the merged model.
        self.lora_a = self.add_weight("lora_a", shape=(units_in, self.rank), dtype=self.variable_dtype,
                                      initializer=tf.keras.initializers.HeUniform(), trainable=True)
        self.lora_b = self.add_weight("lora_b", shape=(self.rank, units_out), dtype=self.variable_dtype,
                                      initializer="zeros", trainable=True)
        super().build(input_shape)

    def call(self, inputs, training=None):
        out = self.base(inputs)
        branch = self.dropout(inputs, training=training) if self.dropout is not None else inputs
        a = tf.cast(self.lora_a, branch.dtype)
        b = tf.cast(self.lora_b, branch.dtype)
        # (x @ A) @ B: two thin matmuls, never the [in, out] product, while training.
        update = tf.tensordot(tf.tensordot(branch, a, axes=1), b, axes=1)
        return out + tf.cast(self.scale, out.dtype) * tf.cast(update, out.dtype)

    def merged_kernel(self) -> tf.Tensor:
        """The base kernel plus the scaled update: `kernel + (alpha / rank) * A @ B`, float32."""
        delta = tf.matmul(tf.cast(self.lora_a, tf.float32), tf.cast(self.lora_b, tf.float32))
        return tf.cast(self.base.kernel, tf.float32) + self.scale * delta

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"base": tf.keras.layers.serialize(self.base), "rank": self.rank, "alpha": self.alpha,
                       "dropout": self.dropout_rate})
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LoRADense":
        config = dict(config)
        config["base"] = tf.keras.layers.deserialize(config["base"])
        return cls(**config)
