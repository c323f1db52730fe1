"""Renders a confusion matrix as an RGB image for TensorBoard."""
from typing import List, Sequence

import numpy as np

from kerasknow.metrics.drawing import font, rotated_text, text_size


def confusion_matrix_image(matrix: Sequence[Sequence[int]], labels: List[str], cell: int = 0) -> np.ndarray:
    """Draws a labelled, row-normalised heat map of a confusion matrix, with the full class names.

    Rows are the true labels (names on the left), columns the predicted ones (names turned
    upright above them); each cell shows its count and is shaded by its share of the row.

    Args:
        matrix: Counts, rows true labels, columns predicted labels.
        labels: Names in row/column order.
        cell: Cell size in pixels; 0 fits the widest count (at least 44).

    Returns:
        A uint8 array of shape `[height, width, 3]`.

    Raises:
        ValueError: When `matrix` is not `len(labels)` square.

    Example:

    >>> confusion_matrix_image([[3, 1], [0, 4]], ["a", "b"]).shape[2]
    3
    """
    from PIL import Image, ImageDraw

    m = np.asarray(matrix, dtype=float)
    n = len(labels)
    if m.shape != (n, n):
        raise ValueError(f"matrix must be {n}x{n} to match labels. Received: shape={m.shape}")
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    face, small = font(), font(13)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cell = cell or max(44, 12 + max(text_size(probe, str(int(v)), face)[0] for v in m.flat))
    headers = [rotated_text(label, face) for label in labels]
    left = 12 + max(text_size(probe, label, face)[0] for label in labels)
    title = "rows: true label, columns: predicted label (shade: share of the row)"
    top = 30 + max(h.size[1] for h in headers)
    width = max(left + n * cell + 12, 12 + text_size(probe, title, small)[0])
    image = Image.new("RGB", (width, top + n * cell + 12), "white")
    draw = ImageDraw.Draw(image)
    draw.text((6, 6), title, fill="black", font=small)
    for j, header in enumerate(headers):
        image.paste(header, (left + j * cell + (cell - header.size[0]) // 2, top - 4 - header.size[1]), header)
    for i, label in enumerate(labels):
        y = top + i * cell
        draw.text((6, y + (cell - text_size(probe, label, face)[1]) // 2 - 2), label, fill="black", font=face)
        for j in range(n):
            shade = int(255 * (1 - norm[i, j]))
            x = left + j * cell
            draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=(shade, shade, 255), outline="gray")
            count = str(int(m[i, j]))
            w, h = text_size(probe, count, face)
            draw.text((x + (cell - w) // 2, y + (cell - h) // 2 - 2), count,
                      fill="black" if shade > 110 else "white", font=face)
    return np.asarray(image, dtype=np.uint8)
