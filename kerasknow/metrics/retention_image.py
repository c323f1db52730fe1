"""Renders an update's per-class recall before and after as one bar chart image for TensorBoard."""
from typing import Any, Dict

import numpy as np


def retention_image(per_class: Dict[str, Dict[str, Any]], row: int = 18, width: int = 300) -> np.ndarray:
    """Two bars per old class: recall under the blessed model (grey) and the candidate (blue).

    Args:
        per_class: `kerasknow.metrics.retention`'s `per_class`.
        row: Height of one class's row in pixels.
        width: Length of a full (recall 1.0) bar.

    Returns:
        A uint8 array `[height, width, 3]`.

    Example:

    >>> retention_image({"sport": {"recall_before": 0.9, "recall_after": 0.8, "forgetting": 10.0}}).shape[2]
    3
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    names = list(per_class)
    margin = 8 + 7 * max((len(n) for n in names), default=4)
    image = Image.new("RGB", (margin + width + 90, 24 + row * max(len(names), 1)), "white")
    draw = ImageDraw.Draw(image)
    draw.text((4, 4), "recall per old class: before (grey) / after (blue), forgetting in points", fill="black",
              font=font)
    for i, name in enumerate(names):
        m = per_class[name]
        y = 20 + i * row
        draw.text((4, y + 2), name, fill="black", font=font)
        draw.rectangle([margin, y, margin + int(width * m["recall_before"]), y + row // 2 - 1], fill=(170, 170, 170))
        draw.rectangle([margin, y + row // 2, margin + int(width * m["recall_after"]), y + row - 3],
                       fill=(60, 110, 220))
        draw.text((margin + width + 6, y + 2), f"{m['forgetting']:+.1f}", fill="black", font=font)
    return np.asarray(image, dtype=np.uint8)
