"""A compiled Keras 2 text classifier around `transformers.TFBertForSequenceClassification`."""
from typing import Any, Dict, Optional

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
# BERT's usual fine-tuning decay; LayerNorm weights and biases are left undecayed.
_WEIGHT_DECAY = 0.01
_NO_DECAY = ["LayerNorm", "layer_norm", "bias"]


def _check_arguments(checkpoint, num_labels, dropout, learning_rate, jit_compile,
                     warmup_steps, total_steps, steps_per_execution, hash_dropout) -> None:
    if not isinstance(checkpoint, str) or not checkpoint:
        raise ConfigError(
            "`checkpoint` must be a checkpoint directory or a Hugging Face hub name. "
            f"Received: checkpoint={checkpoint!r}. Fix: pass "
            "kerasknow.models.checkpoints.resolve_checkpoint('') for the default (MiniLM)."
        )
    if isinstance(num_labels, bool) or not isinstance(num_labels, int) or num_labels < 2:
        raise ConfigError(
            f"`num_labels` must be an int >= 2 (one logit per class). Received: num_labels={num_labels!r}"
        )
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ConfigError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) or learning_rate <= 0:
        raise ConfigError(
            f"`learning_rate` must be a positive number. Received: learning_rate={learning_rate!r}"
        )
    if not isinstance(jit_compile, bool):
        raise ConfigError(f"`jit_compile` must be a bool. Received: jit_compile={jit_compile!r}")
    if not isinstance(hash_dropout, bool):
        raise ConfigError(f"`hash_dropout` must be a bool. Received: hash_dropout={hash_dropout!r}")
    for name, value in (("warmup_steps", warmup_steps), ("total_steps", total_steps)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"`{name}` must be an int >= 0. Received: {name}={value!r}")
    if total_steps == 0 and warmup_steps > 0:
        raise ConfigError(
            "`warmup_steps` needs `total_steps` (the schedule decays to 0 at total_steps). "
            f"Received: warmup_steps={warmup_steps}, total_steps=0. "
            "Fix: pass total_steps = epochs * steps per epoch, or warmup_steps=0."
        )
    if total_steps and warmup_steps > total_steps:
        raise ConfigError(
            "`warmup_steps` must not exceed `total_steps`. "
            f"Received: warmup_steps={warmup_steps}, total_steps={total_steps}"
        )
    if (isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int)
            or steps_per_execution < 1):
        raise ConfigError(
            f"`steps_per_execution` must be an int >= 1. Received: steps_per_execution={steps_per_execution!r}"
        )


def build_bert_sequence_classifier(
    checkpoint: str,
    num_labels: int,
    dropout: float = 0.1,
    learning_rate: float = 5e-5,
    jit_compile: bool = False,
    warmup_steps: int = 0,
    total_steps: int = 0,
    steps_per_execution: int = 1,
    hash_dropout: bool = False,
    seed: Optional[int] = None,
    finetune: Optional[Dict[str, Any]] = None,
) -> tf.keras.Model:
    """Builds and compiles a BERT sequence classifier from a checkpoint.

    The model is a functional `tf.keras.Model` (Keras 2) around
    `transformers.TFBertForSequenceClassification`: it takes a dict of int32 `[batch, length]`
    tensors `input_ids`, `attention_mask`, `token_type_ids` (any `length`, so dynamically
    padded and bucketed batches work) and returns float32 logits `[batch, num_labels]` (cast
    up from float16/bfloat16 under a mixed-precision policy, so the loss is computed in
    float32).

    It is compiled with AdamW (weight decay 0.01, none on LayerNorm weights and biases),
    `SparseCategoricalCrossentropy(from_logits=True)` and `accuracy`. With `total_steps > 0`
    the learning rate follows `LinearWarmupDecay` (linear warm-up over `warmup_steps`, then
    linear decay to 0 at `total_steps`); otherwise it is constant.

    To train with a `tf.distribute` strategy, call this inside `strategy.scope()`. To train in
    mixed precision, set the Keras global policy (`mixed_float16` / `mixed_bfloat16`) before
    calling; under `mixed_float16` Keras wraps the optimizer in a `LossScaleOptimizer`.

    Args:
        checkpoint: A local BERT checkpoint directory (e.g. from
            `kerasknow.models.checkpoints.resolve_checkpoint`) or a hub name.
        num_labels: Number of classes; >= 2.
        dropout: Dropout of the classifier head and of BERT's hidden layers, in [0, 1).
        learning_rate: Peak (or constant) learning rate; > 0.
        jit_compile: Compile the train/eval steps with XLA. Every new input shape compiles
            again, so pair it with inputs padded to a few bucket lengths.
        warmup_steps: Optimizer steps of linear warm-up; needs `total_steps`.
        total_steps: Optimizer steps of the run for the linear decay; 0 keeps the learning
            rate constant.
        steps_per_execution: Training steps per `tf.function` call (Keras `compile`).
        hash_dropout: Replace BERT's dropout layers by `HashDropout` (same rate and
            semantics, the mask from an integer hash; a MiniLM step under XLA on a CPU ran
            1.18x faster). Without XLA it gains nothing. `HardwarePlan.hash_dropout` says
            when the pipeline turns it on.
        seed: Seeds TensorFlow's global generator before the new classifier head is initialised
            (None leaves it as it is), so a rerun starts from the same head.
        finetune: Which weights train: the arguments of
            `kerasknow.models.bert_finetune.apply_bert_finetune` (`strategy`, `top_k`,
            `lora_rank`, ...; docs/finetuning.md). None trains every weight (`full`).

    Returns:
        A compiled `tf.keras.Model`.

    Raises:
        ConfigError: For an invalid argument (checked before anything is loaded), or fine-tuning
            settings the checkpoint cannot take (a `top_k` beyond its layers).
        OSError: When transformers cannot load the checkpoint.

    Example:

    ```python
    model = build_bert_sequence_classifier(resolve_checkpoint(""), num_labels=5)
    logits = model({"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    logits.shape, logits.dtype
    # -> (TensorShape([2, 5]), tf.float32)
    ```
    """
    _check_arguments(checkpoint, num_labels, dropout, learning_rate, jit_compile,
                     warmup_steps, total_steps, steps_per_execution, hash_dropout)
    import transformers

    if seed is not None:
        tf.random.set_seed(seed)
    # classifier_dropout is read by the head; hidden_dropout_prob by every BERT layer.
    bert = transformers.TFBertForSequenceClassification.from_pretrained(
        checkpoint,
        num_labels=num_labels,
        classifier_dropout=float(dropout),
        hidden_dropout_prob=float(dropout),
    )
    if hash_dropout:
        from kerasknow.models.hash_dropout import use_hash_dropout

        use_hash_dropout(bert)
    if finetune:
        from kerasknow.models.bert_finetune import apply_bert_finetune

        # Before the Keras model is built around it and compiled: the optimizer and the train
        # step see only the weights the strategy trains.
        apply_bert_finetune(bert, **finetune)
    inputs = {name: tf.keras.Input(shape=(None,), dtype=tf.int32, name=name) for name in INPUT_NAMES}
    logits = bert(inputs).logits
    # float32 logits under mixed precision: softmax cross-entropy in half precision loses
    # accuracy, and exported models report float32 scores.
    logits = tf.keras.layers.Activation("linear", dtype="float32", name="logits")(logits)
    model = tf.keras.Model(inputs=inputs, outputs=logits, name="bert_sequence_classifier")

    if total_steps > 0:
        from kerasknow.models.linear_warmup_decay import LinearWarmupDecay

        rate = LinearWarmupDecay(float(learning_rate), warmup_steps, total_steps)
    else:
        rate = float(learning_rate)
    optimizer = tf.keras.optimizers.AdamW(learning_rate=rate, weight_decay=_WEIGHT_DECAY, epsilon=1e-6)
    optimizer.exclude_from_weight_decay(var_names=_NO_DECAY)
    model.compile(
        optimizer=optimizer,
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model
