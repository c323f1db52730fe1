"""The classifier every variant trains: same weights, same recipe, the variant's plan."""


def text_classifier(checkpoint: str, num_labels: int, learning_rate: float, total_steps: int, seed: int,
                    plan=None):
    """Builds `build_bert_sequence_classifier` and compiles it with an examples counter.

    Args:
        checkpoint: The BERT checkpoint.
        num_labels: Number of classes.
        learning_rate: Peak learning rate (10% linear warm-up, then linear decay).
        total_steps: Steps of the schedule.
        seed: Seeds the classifier head's initialisation (the same for every variant).
        plan: A `HardwarePlan`: its precision policy, XLA switch and `HashDropout`; float32
            without XLA when None.

    Returns:
        A compiled `tf.keras.Model` with metrics `accuracy` and `examples`.
    """
    import tensorflow as tf

    from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

    from bench.text_throughput.examples_seen import examples_seen

    tf.keras.utils.set_random_seed(seed)
    # Layers take the global policy when they are created: set it for this model only.
    tf.keras.mixed_precision.set_global_policy(plan.precision_policy if plan else "float32")
    try:
        model = build_bert_sequence_classifier(
            checkpoint, num_labels=num_labels, learning_rate=learning_rate,
            warmup_steps=max(1, total_steps // 10), total_steps=total_steps,
            jit_compile=bool(plan and plan.jit_compile), hash_dropout=bool(plan and plan.hash_dropout))
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    # Same compile, plus a counter of the examples each fit call trains on.
    model.compile(optimizer=model.optimizer, loss=model.loss,
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy"), examples_seen()],
                  jit_compile=bool(plan and plan.jit_compile))  # compile() resets it otherwise
    return model
