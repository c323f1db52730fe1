"""Turns decoded pixels into the features of one image knowledge record.

Shared by the folder and IDX readers, so an image gets the same content hash and the same stored
bytes whichever reader saw it.
"""
import hashlib
import io
from typing import Any, Dict

import numpy as np

from kerasknow.data.knowledge_record import KnowledgeRecord

# Pillow modes and how many channels the original image had (for the `channels` statistic).
_MODE_CHANNELS = {"1": 1, "L": 1, "I": 1, "I;16": 1, "I;16B": 1, "I;16L": 1, "F": 1, "LA": 2, "La": 2,
                  "PA": 2, "RGB": 3, "YCbCr": 3, "LAB": 3, "HSV": 3, "RGBA": 4, "RGBa": 4, "RGBX": 4,
                  "CMYK": 4}


def mode_channels(image) -> int:
    """Channels of a Pillow image as stored in its file (a palette counts as RGB or RGBA)."""
    if image.mode == "P":
        return 4 if "transparency" in image.info else 3
    return _MODE_CHANNELS.get(image.mode, len(image.getbands()))


def pixel_sha256(rgb: np.ndarray) -> str:
    """The content hash of an image: SHA-256 over its height, width and RGB uint8 pixels.

    Hashing decoded pixels instead of file bytes makes the same picture saved as PNG, BMP or
    GIF (or re-saved with other metadata) one image: exact duplicates share a train/eval split
    and are found by the knowledge checks. JPEG re-encodings change pixels and so are distinct.

    Args:
        rgb: A `[height, width, 3]` uint8 array.

    Returns:
        The hex digest.
    """
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h = hashlib.sha256(f"{rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}:".encode("ascii"))
    h.update(rgb.tobytes())
    return h.hexdigest()


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of a `[height, width, 3]` uint8 array (lossless, decodable by `tf.io.decode_image`)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), mode="RGB").save(buffer, format="PNG",
                                                                                compress_level=1)
    return buffer.getvalue()


def image_record(encoded: bytes, rgb: np.ndarray, label: str, channels: int, source: str,
                 line=None) -> KnowledgeRecord:
    """A `KnowledgeRecord` with the image family's features.

    Args:
        encoded: PNG or JPEG bytes of the image as the model will see it (RGB).
        rgb: The decoded `[height, width, 3]` uint8 pixels (for the content hash and sizes).
        label: The class name.
        channels: Channels of the original file (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA/CMYK).
        source: File the image came from.
        line: Record number inside `source` (IDX), or None for one image per file.

    Returns:
        A record keyed by the content hash, with features `image`, `label`, `image_sha256`,
        `height`, `width`, `channels`.
    """
    digest = pixel_sha256(rgb)
    features: Dict[str, Any] = {
        "image": encoded,
        "label": label,
        "image_sha256": digest,
        "height": int(rgb.shape[0]),
        "width": int(rgb.shape[1]),
        "channels": int(channels),
    }
    return KnowledgeRecord(features=features, key=digest, source=source, line=line)
