"""A compiled `tf.keras` BERT token classifier with a loss and accuracy that skip masked pieces."""
from typing import Any, Dict, Optional

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.ner.label_alignment import IGNORE_LABEL

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def _scored(y_true):
    y_true = tf.cast(tf.reshape(y_true, [-1]), tf.int32)
    return y_true, tf.not_equal(y_true, IGNORE_LABEL)


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class MaskedSparseCategoricalCrossentropy(tf.keras.losses.Loss):
    """Sparse categorical cross-entropy over logits, averaged over pieces whose label is not -100.

    Padding, `[CLS]`/`[SEP]` and word continuations carry `IGNORE_LABEL` and add nothing, so
    the loss does not depend on how much padding a batch has.

    Args:
        name: Loss name.

    Example:

    >>> loss = MaskedSparseCategoricalCrossentropy()
    >>> float(loss(tf.constant([[0, -100]]), tf.zeros([1, 2, 3])))  # log(3)
    1.0986...
    """

    def __init__(self, name: str = "masked_sparse_categorical_crossentropy", **kwargs):
        # The mean over scored pieces is computed in `call`; Keras must not average again.
        kwargs.setdefault("reduction", tf.keras.losses.Reduction.SUM)
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true, mask = _scored(y_true)
        logits = tf.reshape(tf.cast(y_pred, tf.float32), [-1, tf.shape(y_pred)[-1]])
        safe = tf.where(mask, y_true, 0)
        losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
        mask = tf.cast(mask, tf.float32)
        return tf.reduce_sum(losses * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def get_config(self) -> Dict[str, Any]:
        return super().get_config()


@tf.keras.utils.register_keras_serializable(package="kerasknow")
class MaskedTokenAccuracy(tf.keras.metrics.Metric):
    """Accuracy of the argmax tag over word pieces whose label is not -100 (first pieces of words).

    Args:
        name: Metric name; `model.fit` logs it as `token_accuracy` / `val_token_accuracy`.
    """

    def __init__(self, name: str = "token_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_weight(name="correct", initializer="zeros", dtype=tf.float32)
        self.total = self.add_weight(name="total", initializer="zeros", dtype=tf.float32)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, mask = _scored(y_true)
        predicted = tf.cast(tf.argmax(tf.reshape(y_pred, [-1, tf.shape(y_pred)[-1]]), axis=-1), tf.int32)
        hits = tf.logical_and(mask, tf.equal(predicted, y_true))
        self.correct.assign_add(tf.reduce_sum(tf.cast(hits, tf.float32)))
        self.total.assign_add(tf.reduce_sum(tf.cast(mask, tf.float32)))

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)

    def get_config(self) -> Dict[str, Any]:
        return super().get_config()


def build_token_classifier(checkpoint: str, num_labels: int, dropout: float = 0.1,
                           learning_rate: float = 5e-5, tiny_config: Optional[Dict[str, Any]] = None,
                           jit_compile: bool = False, seed: int = 42,
                           hash_dropout: bool = False, warmup_steps: int = 0, total_steps: int = 0,
                           finetune: Optional[Dict[str, Any]] = None) -> tf.keras.Model:
    """Builds and compiles a BERT token classifier around `TFBertForTokenClassification`.

    The transformers model is wrapped in a functional `tf.keras.Model` with inputs
    `input_ids`, `attention_mask`, `token_type_ids` (int32 `[batch, length]`) and output the
    logits `[batch, length, num_labels]`, compiled with Adam (gradients clipped to norm 1),
    `MaskedSparseCategoricalCrossentropy` and `MaskedTokenAccuracy`. With `total_steps > 0` the
    learning rate follows `LinearWarmupDecay` (linear warm-up over `warmup_steps`, then linear
    decay to 0 at `total_steps`), BERT's fine-tuning schedule; otherwise it is constant.

    Args:
        checkpoint: What `from_pretrained` accepts: a local directory or a hub name
            (see `kerasknow.models.checkpoints.resolve_checkpoint`). Ignored with `tiny_config`.
        num_labels: Number of tags.
        dropout: Dropout before the classification head (`classifier_dropout`).
        learning_rate: Adam's peak (or constant) learning rate.
        tiny_config: `BertConfig` overrides for a randomly initialised model instead of the
            checkpoint (tests, smoke runs). Its vocabulary size must match the tokenizer's.
        jit_compile: Compile the train step with XLA.
        seed: Seeds the new head's initialisation.
        hash_dropout: Replace BERT's dropout layers by `HashDropout` (same rate and
            semantics, cheaper under XLA; see `build_bert_sequence_classifier`).
        warmup_steps: Optimizer steps of linear warm-up; at most `total_steps`.
        total_steps: Optimizer steps of the run for the linear decay; 0 keeps the rate constant.
        finetune: Which weights train: the arguments of
            `kerasknow.models.bert_finetune.apply_bert_finetune` (docs/finetuning.md); None
            trains every weight (`full`).

    Returns:
        A compiled `tf.keras.Model`.

    Raises:
        ConfigError: For `num_labels < 1`, a dropout outside [0, 1), a non-positive learning rate
            or a `tiny_config` key that is not a `BertConfig` field.

    Example:

    >>> model = build_token_classifier("", 5, tiny_config={"hidden_size": 16, "num_hidden_layers": 1,
    ...                                "num_attention_heads": 2, "intermediate_size": 32})
    >>> model.output_shape
    (None, None, 5)
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 1:
        raise ConfigError(f"num_labels must be a positive int. Received: num_labels={num_labels!r}")
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"dropout must be in [0, 1). Received: dropout={dropout!r}")
    if learning_rate <= 0:
        raise ConfigError(f"learning_rate must be positive. Received: learning_rate={learning_rate!r}")
    if not isinstance(hash_dropout, bool):
        raise ConfigError(f"hash_dropout must be a bool. Received: hash_dropout={hash_dropout!r}")
    for name, value in (("warmup_steps", warmup_steps), ("total_steps", total_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{name} must be an int >= 0. Received: {name}={value!r}")
    if warmup_steps > total_steps:
        raise ConfigError(f"warmup_steps must not exceed total_steps (the schedule decays to 0 at total_steps). "
                          f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}")
    import transformers

    tf.random.set_seed(seed)
    if tiny_config is not None:
        # BertConfig silently keeps unknown keys; a typo would build a full-size model instead.
        unknown = sorted(set(tiny_config) - set(transformers.BertConfig().to_dict()))
        if unknown:
            raise ConfigError(f"tiny_model must hold BertConfig fields; unknown: {unknown}. "
                              f"Received: tiny_model={tiny_config!r}")
        config = transformers.BertConfig(**{**tiny_config, "num_labels": num_labels, "classifier_dropout": dropout})
        bert = transformers.TFBertForTokenClassification(config)
    else:
        bert = transformers.TFBertForTokenClassification.from_pretrained(
            checkpoint, num_labels=num_labels, classifier_dropout=dropout)
    if hash_dropout:
        from kerasknow.models.hash_dropout import use_hash_dropout

        use_hash_dropout(bert)
    if finetune:
        from kerasknow.models.bert_finetune import apply_bert_finetune

        # Before compiling: the optimizer and the train step see only what the strategy trains.
        apply_bert_finetune(bert, **finetune)
    inputs = {name: tf.keras.Input((None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}
    logits = bert(inputs).logits
    # Mixed precision computes in float16/bfloat16; the loss, metrics and softmax want float32.
    logits = tf.keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    model = tf.keras.Model(inputs, logits, name="bert_token_classifier")
    if total_steps > 0:
        from kerasknow.models.linear_warmup_decay import LinearWarmupDecay

        rate = LinearWarmupDecay(float(learning_rate), warmup_steps, total_steps)
    else:
        rate = learning_rate
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=rate, clipnorm=1.0),
        loss=MaskedSparseCategoricalCrossentropy(),
        metrics=[MaskedTokenAccuracy()],
        jit_compile=jit_compile,
    )
    return model
