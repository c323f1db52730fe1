"""Renders per-class precision, recall and F1 as one bar chart image for TensorBoard."""
from typing import Dict

import numpy as np

from kerasknow.metrics.drawing import font, text_size

#: Bar colours of precision, recall and F1.
COLOURS = {"precision": (66, 133, 244), "recall": (251, 140, 0), "f1": (52, 168, 83)}


def per_class_chart(per_class: Dict[str, Dict[str, float]], bar_width: int = 300) -> np.ndarray:
    """Draws, per class (full name on the left), three horizontal bars: precision, recall, F1.

    Args:
        per_class: Class -> `{"precision", "recall", "f1", "support"}` (the evaluation's
            `per_class`).
        bar_width: Pixels of a bar at 1.0.

    Returns:
        A uint8 array of shape `[height, width, 3]`.

    Raises:
        ValueError: When `per_class` is empty.

    Example:

    >>> per_class_chart({"a": {"precision": 1.0, "recall": 0.5, "f1": 0.67, "support": 2}}).shape[2]
    3
    """
    from PIL import Image, ImageDraw

    if not per_class:
        raise ValueError("per_class needs at least one class. Received: per_class={}")
    face, small = font(), font(13)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    names = [f"{name} ({int(m.get('support', 0))})" for name, m in per_class.items()]
    left = 16 + max(text_size(probe, name, face)[0] for name in names)
    bar, gap = 14, 12
    group = 3 * bar + gap
    top = 34
    width = left + bar_width + 70
    image = Image.new("RGB", (width, top + len(per_class) * group + 30), "white")
    draw = ImageDraw.Draw(image)
    x = 6
    for key, colour in COLOURS.items():
        draw.rectangle([x, 10, x + 12, 22], fill=colour)
        draw.text((x + 16, 8), key, fill="black", font=small)
        x += 24 + text_size(probe, key, small)[0]
    draw.text((x + 8, 8), "(support in brackets)", fill="gray", font=small)
    for i, (name, m) in enumerate(zip(names, per_class.values())):
        y = top + i * group
        draw.text((6, y + bar), name, fill="black", font=face)
        for k, (key, colour) in enumerate(COLOURS.items()):
            value = float(m.get(key, 0.0))
            y0 = y + k * bar
            draw.rectangle([left, y0, left + max(1, int(bar_width * value)), y0 + bar - 3], fill=colour)
            draw.text((left + int(bar_width * value) + 4, y0 - 2), f"{value:.2f}", fill="black", font=small)
    for tick in (0.0, 0.5, 1.0):
        x = left + int(bar_width * tick)
        draw.line([x, top - 4, x, top + len(per_class) * group - gap], fill=(200, 200, 200))
        draw.text((x - 8, top + len(per_class) * group - gap + 4), f"{tick:.1f}", fill="gray", font=small)
    return np.asarray(image, dtype=np.uint8)
