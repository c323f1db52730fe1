"""Which weights of a transformers TF BERT model train: the `finetune.strategy` of the BERT families.

`apply_bert_finetune` changes a loaded (built) `TFBertFor...` model in place, before it is
compiled: it freezes layers or single weights, and for `lora` and `adapter` puts kerasknow's own
layers into it by model surgery (transformers' TF BERT has no PEFT support): a `LoRADense`
replaces the query/value (or other target) Dense layers of each BERT layer, a
`BottleneckAdapter` follows the dropout after the attention output's and the feed-forward
output's dense, before their residual LayerNorm. Surgery replaces a layer attribute in the same
position of its parent's tracked layers, so the model's weights keep their build order.

What each strategy trains (docs/finetuning.md):

| strategy | trains |
| --- | --- |
| `full` | everything |
| `head` | the classifier only |
| `top_k` | the top `top_k` BERT layers, the pooler and the classifier |
| `bitfit` | every bias (Dense biases, LayerNorm betas) and the classifier |
| `lora` | the low-rank updates of `lora_targets` and the classifier |
| `adapter` | the adapters and the classifier |
"""
import logging
from typing import Dict, List, Sequence

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.config.settings import setting
from kerasknow.errors import ConfigError

logger = logging.getLogger(__name__)

BERT_STRATEGIES = ("full", "head", "top_k", "bitfit", "lora", "adapter")


def _replace_child(parent: tf.keras.layers.Layer, attr: str, new: tf.keras.layers.Layer) -> None:
    """`setattr(parent, attr, new)`, keeping `new` where the old layer was among the parent's layers."""
    old = getattr(parent, attr)
    tracked = parent._self_tracked_trackables
    index = next(i for i, t in enumerate(tracked) if t is old)
    setattr(parent, attr, new)
    tracked = parent._self_tracked_trackables
    if new in tracked:
        tracked.remove(new)
    tracked.insert(index, new)


def _freeze_own_weights(layer: tf.keras.layers.Layer, keep=lambda variable: False) -> None:
    """Freezes the weights each layer under `layer` holds itself, except those `keep` accepts.

    Weights, not layers: a frozen container would hide the trainable layers surgery puts inside it
    later, and TF BERT's embeddings hold their tables themselves beside sublayers.
    """
    from kerasknow.models.weight_freezing import freeze_weights

    for sub in layer._flatten_layers(include_self=True, recursive=True):
        freeze_weights(sub, [v for v in sub._trainable_weights if not keep(v)])


def _is_bias(variable) -> bool:
    # What a layer adds: a Dense "bias", a LayerNorm "beta".
    return variable.name.split("/")[-1].startswith(("bias", "beta"))


def _bert_layers(main) -> List:
    return list(main.encoder.layer)


def _lora_target_layers(bert_layer) -> Dict[str, tuple]:
    """Target name -> (parent layer, attribute) in one `TFBertLayer`."""
    attention = bert_layer.attention
    return {
        "query": (attention.self_attention, "query"),
        "key": (attention.self_attention, "key"),
        "value": (attention.self_attention, "value"),
        "attention_output": (attention.dense_output, "dense"),
        "intermediate": (bert_layer.intermediate, "dense"),
        "output": (bert_layer.bert_output, "dense"),
    }


def add_lora(main, rank: int, alpha: float, dropout: float, targets: Sequence[str]) -> int:
    """Wraps the `targets` Dense layers of every BERT layer of `main` in `LoRADense`.

    Returns:
        How many layers were wrapped.
    """
    from kerasknow.models.lora_dense import LoRADense

    wrapped = 0
    for bert_layer in _bert_layers(main):
        places = _lora_target_layers(bert_layer)
        for target in targets:
            parent, attr = places[target]
            base = getattr(parent, attr)
            lora = LoRADense(base, rank=rank, alpha=alpha, dropout=dropout, name=f"lora_{base.name}")
            _replace_child(parent, attr, lora)
            wrapped += 1
    return wrapped


def add_adapters(main, size: int) -> int:
    """Puts a `BottleneckAdapter` after the attention output's and the feed-forward output's dropout
    of every BERT layer of `main` (before the residual LayerNorm).

    Returns:
        How many adapters were added.
    """
    from kerasknow.models.bottleneck_adapter import BottleneckAdapter

    added = 0
    hidden = int(main.config.hidden_size)
    for bert_layer in _bert_layers(main):
        for parent, name in ((bert_layer.attention.dense_output, "attention_adapter"),
                             (bert_layer.bert_output, "output_adapter")):
            adapter = BottleneckAdapter(size, inner=parent.dropout, name=name)
            # Built here, beside the dense it follows: its weights read
            # `.../layer_._3/attention/output/attention_adapter/down/kernel`, unique in the model.
            scope = parent.dense.kernel.name.rsplit("/", 2)[0]
            with tf.name_scope(f"{scope}/{name}/"):
                adapter.build(tf.TensorShape([None, None, hidden]))
            _replace_child(parent, "dropout", adapter)
            added += 1
    return added


#: Share of the run's steps the learning rate warms up over (BERT's recipe: 10%).
WARMUP_FRACTION = 0.1


def bert_finetune_arguments(finetune, strategy: str) -> Dict[str, object]:
    """`apply_bert_finetune`'s arguments from a `FinetuneConfig` and the resolved strategy.

    >>> from kerasknow.config import FinetuneConfig
    >>> bert_finetune_arguments(FinetuneConfig(strategy="lora", lora_rank=4), "lora")["lora_rank"]
    4
    """
    return {"strategy": strategy, "top_k": finetune.top_k, "lora_rank": finetune.lora_rank,
            "lora_alpha": finetune.lora_alpha, "lora_dropout": finetune.lora_dropout,
            "lora_targets": list(finetune.lora_targets), "adapter_size": finetune.adapter_size}


def apply_bert_finetune(bert, strategy: str, top_k: int = 1, lora_rank: int = 8, lora_alpha: float = 16.0,
                        lora_dropout: float = 0.0, lora_targets: Sequence[str] = ("query", "value"),
                        adapter_size: int = 64) -> None:
    """Makes only the weights `strategy` trains trainable in a built transformers TF BERT model.

    Call it on the `TFBertForSequenceClassification` / `TFBertForTokenClassification` right after
    loading (and after `use_hash_dropout`), before building the Keras model around it and
    compiling. The classifier (`bert.classifier`) trains under every strategy.

    Args:
        bert: A built `TFBertFor...` model with a `bert` main layer and a `classifier`.
        strategy: One of `BERT_STRATEGIES` (`finetune.strategy`, `auto` resolved).
        top_k: `top_k`: BERT layers from the top that train; 1 to the number of layers.
        lora_rank, lora_alpha, lora_dropout, lora_targets: `lora`'s settings
            (`kerasknow.models.lora_dense.LoRADense`).
        adapter_size: `adapter`: the bottleneck width.

    Raises:
        ConfigError: For an unknown strategy, or a `top_k` the model has not enough layers for.

    Example:

    ```python
    bert = transformers.TFBertForSequenceClassification.from_pretrained(path, num_labels=3)
    apply_bert_finetune(bert, "lora", lora_rank=4)
    [w.name for w in bert.trainable_weights][:2]
    # -> ['tf_bert.../bert/encoder/layer_._0/lora_query/lora_a:0', '.../lora_query/lora_b:0']
    ```
    """
    if strategy not in BERT_STRATEGIES:
        raise ConfigError(f"{setting('finetune.strategy')} must be one of {', '.join(BERT_STRATEGIES)} for a BERT "
                          f"model. Received: strategy={strategy!r}")
    main = bert.bert
    if strategy == "full":
        return
    if strategy == "head":
        main.trainable = False
    elif strategy == "top_k":
        layers = _bert_layers(main)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= len(layers):
            raise ConfigError(f"{setting('finetune.top_k')} must be between 1 and the checkpoint's "
                              f"{len(layers)} layers for --finetune top_k. Received: top_k={top_k!r}")
        main.embeddings.trainable = False
        for layer in layers[:len(layers) - top_k]:
            layer.trainable = False
    elif strategy == "bitfit":
        _freeze_own_weights(main, keep=_is_bias)
    elif strategy == "lora":
        _freeze_own_weights(main)
        n = add_lora(main, lora_rank, lora_alpha, lora_dropout, lora_targets)
        logger.info("LoRA: %d Dense layers (%s) with rank %d, alpha %g", n, ", ".join(lora_targets), lora_rank,
                    lora_alpha)
    elif strategy == "adapter":
        _freeze_own_weights(main)
        n = add_adapters(main, adapter_size)
        logger.info("Adapters: %d of bottleneck %d", n, adapter_size)
