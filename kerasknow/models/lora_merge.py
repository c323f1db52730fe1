"""Folding LoRA updates into their base kernels, for serving."""
from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.models.lora_dense import LoRADense


def merge_lora(model: tf.keras.layers.Layer) -> int:
    """Folds every `LoRADense` of `model` into its Dense layer and puts the Dense layer back.

    Each base kernel becomes `kernel + (alpha / rank) * A @ B` and each wrapper's attribute holds
    the base Dense again, in the same place among its parent's layers: the model then has the
    variables and the ops of a fully fine-tuned one (no `lora_a`/`lora_b`, no extra matmul), its
    outputs equal the wrapped model's up to float rounding, and `weights_in_build_order` lists
    the base model's weights. Call it after training, before export; the model no longer trains
    its LoRA updates afterwards. Keras' compiled step functions are dropped (they hold the old
    layers); the optimizer forgets the LoRA variables' slots (an exported model would otherwise
    carry them).

    Args:
        model: A Keras model or layer (with or without `LoRADense` layers).

    Returns:
        How many layers were merged (0 leaves the model as it was).

    Example:

    ```python
    model = build_bert_sequence_classifier(path, 3, finetune_strategy="lora")
    model.fit(train, epochs=2)
    merge_lora(model)   # MiniLM, query and value of 6 layers
    # -> 12
    export_text_classifier(model, export_dir, tokenizer, labels)
    ```
    """
    from kerasknow.models.bert_finetune import _replace_child

    merged = 0
    for layer in list(model._flatten_layers(include_self=True, recursive=True)):
        for attr, value in list(vars(layer).items()):
            if attr.startswith("_") or not isinstance(value, LoRADense):
                continue
            base = value.base
            base.kernel.assign(tf.cast(value.merged_kernel(), base.kernel.dtype))
            _replace_child(layer, attr, base)
            merged += 1
    if merged and isinstance(model, tf.keras.Model):
        model.train_function = model.test_function = model.predict_function = None
        _forget_slots(model)
    return merged


def _forget_slots(model: tf.keras.Model) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "variables", None):
        return
    # A fresh optimizer of the same configuration (a LossScaleOptimizer with its inner one), built
    # lazily over the model as it now is.
    model.optimizer = tf.keras.optimizers.deserialize(tf.keras.optimizers.serialize(optimizer))
