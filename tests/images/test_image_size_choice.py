"""The input size chosen from the data: small images upsampled, large ones at the weights' size."""
import os

import numpy as np
import pytest
from PIL import Image

from kerasknow.config import RunConfig
from kerasknow.family.registry import get_task_family
from kerasknow.images.image_size_choice import MIN_AUTO_SIZE, choose_image_size, measure_image_sizes
from kerasknow.testing import ingest_to_splits


def _folder(root, size, mode, count=12):
    rng = np.random.RandomState(0)
    for label in ("a", "b"):
        os.makedirs(root / label, exist_ok=True)
        for i in range(count):
            shape = (size[1], size[0]) + ((3,) if mode == "RGB" else ())
            Image.fromarray(rng.randint(0, 256, shape, dtype=np.uint8), mode=mode).save(root / label / f"{i}.png")
    return str(root)


@pytest.mark.parametrize("size, mode, expected, reason", [
    ((28, 28), "L", 96, "upsampled"),
    ((120, 90), "RGB", 96, "upsampled"),
    ((150, 140), "RGB", 160, "upsampled"),
    ((640, 480), "RGB", 160, "downsampled to the size the weights were trained at"),
])
def test_the_size_follows_the_measured_images(tmp_path, size, mode, expected, reason):
    cfg = RunConfig(task="image-classification", data=_folder(tmp_path / "data", size, mode))
    _, files, _, _ = ingest_to_splits(get_task_family(cfg.task), cfg, str(tmp_path / "examples"))
    height, width, channels = measure_image_sizes([files["train"]])
    assert (height, width) == (size[1], size[0])
    assert channels == {"greyscale" if mode == "L" else "RGB": sum(channels.values())}
    choice = choose_image_size(height, width, 160, 0, channels)
    assert choice.size == expected and choice.reason.startswith(reason)
    assert choice.describe().startswith(f"median {size[1]}x{size[0]} images (")


def test_a_configured_size_wins_and_small_sizes_stay_at_the_floor():
    assert choose_image_size(28, 28, 160, configured=64).size == 64
    assert choose_image_size(8, 8, 224).size == MIN_AUTO_SIZE
    assert choose_image_size(300, 300, 224).size == 224
