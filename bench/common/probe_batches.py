"""Fixed-shape synthetic batches for the probes, so every step has the same shape and cost."""
from bench.common.probe_model import IMAGE_PROBE


def probe_batches(family: str, smoke: bool = False):
    """A repeating dataset of seeded random batches: text `[16, 128]` tokens, images `[32, size, size, 3]`.

    Args:
        family: `"text"` or `"image"`.
        smoke: Images at the smoke model's size (`IMAGE_PROBE`); text batches keep their shape.

    Returns:
        `(dataset, batch_size)`: `dataset` yields `(features, label_ids)` forever.

    Raises:
        ValueError: For a family other than text or image.
    """
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    if family == "text":
        batch, n = 16, 64
        x = {"input_ids": rng.integers(1000, 20000, (n, 128)).astype("int32"),
             "attention_mask": np.ones((n, 128), "int32"), "token_type_ids": np.zeros((n, 128), "int32")}
        y = rng.integers(0, 5, (n,)).astype("int32")
    elif family == "image":
        batch, n, size = 32, 128, IMAGE_PROBE[smoke]["image_size"]
        x = rng.uniform(0, 255, (n, size, size, 3)).astype("float32")
        y = rng.integers(0, 10, (n,)).astype("int32")
    else:
        raise ValueError(f"family must be 'text' or 'image'. Received: family={family!r}")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).repeat(), batch
