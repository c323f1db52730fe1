"""Renders a confusion matrix as an RGB image for TensorBoard."""
from typing import List, Sequence

import numpy as np


def confusion_matrix_image(matrix: Sequence[Sequence[int]], labels: List[str], cell: int = 36) -> np.ndarray:
    """Draws a labelled, row-normalised heat map of a confusion matrix.

    Args:
        matrix: Counts, rows true labels, columns predicted labels.
        labels: Names in row/column order.
        cell: Cell size in pixels.

    Returns:
        A uint8 array of shape `[height, width, 3]`.

    Example:

    >>> confusion_matrix_image([[3, 1], [0, 4]], ["a", "b"]).shape[2]
    3
    """
    from PIL import Image, ImageDraw, ImageFont

    m = np.asarray(matrix, dtype=float)
    n = len(labels)
    if m.shape != (n, n):
        raise ValueError(f"matrix must be {n}x{n} to match labels. Received: shape={m.shape}")
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    font = ImageFont.load_default()
    margin = 8 + 7 * max((len(label) for label in labels), default=1)
    size = (margin + n * cell + 8, margin + n * cell + 24)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((margin, 4), "rows: true, columns: predicted", fill="black", font=font)
    top = 20
    for i, label in enumerate(labels):
        draw.text((4, top + margin - 4 + i * cell + cell // 3), label, fill="black", font=font)
        draw.text((margin + i * cell + 2, top + 2), label[:5], fill="black", font=font)
        for j in range(n):
            shade = int(255 * (1 - norm[i, j]))
            x, y = margin + j * cell, top + margin - 4 + i * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(shade, shade, 255), outline="gray")
            draw.text((x + 4, y + cell // 3), str(int(m[i, j])), fill="black" if shade > 110 else "white", font=font)
    return np.asarray(image, dtype=np.uint8)
