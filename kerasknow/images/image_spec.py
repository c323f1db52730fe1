"""Image classification's declarations (see `kerasknow.task_spec.TaskSpec`)."""
from kerasknow.task_spec import TaskSpec

IMAGE_CLASSIFICATION = TaskSpec(
    name="image-classification",
    summary="<label>/<image> folders or (Fashion-)MNIST IDX files -> keras.applications backbone + head",
    input_formats=("auto", "folder", "idx"),
    # A new head on a frozen backbone learns fastest at ~1e-3 (docs/images.md).
    learning_rates=(2e-3, 1e-3),
    free_text_features=("image", "image_sha256"),
    length_features=("height", "width"),
    tuner_objective="val_accuracy",
    # LoRA and adapters rewrite BERT's attention and feed-forward blocks; a convolutional
    # backbone has neither. The default is the two-phase transfer: the head, then the top blocks.
    finetune_strategies=("full", "head", "top_k", "bitfit"),
    default_finetune_strategy="top_k",
    weight_averaging=True,
    # `top_k`, `full` and `bitfit` open (part of) the backbone only after the head's epochs
    # (image_phases.py); `head` alone has one phase.
    phased_strategies=("top_k", "full", "bitfit"),
)
