"""The small drawing helpers kerasknow's TensorBoard images share (PIL, Pillow's own scalable font)."""
from typing import Tuple

#: Text size in pixels: readable in TensorBoard's image dashboard at its default zoom.
FONT_SIZE = 15


def font(size: int = FONT_SIZE):
    """Pillow's bundled scalable font at `size` px (no system fonts needed)."""
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def text_size(draw, text: str, face) -> Tuple[int, int]:
    """Width and height of `text` in `face`, in pixels."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    return right - left, bottom - top


def rotated_text(text: str, face, fill="black"):
    """`text` drawn on a transparent image turned 90 degrees (bottom to top), for column headers."""
    from PIL import Image, ImageDraw

    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    width, height = text_size(probe, text, face)
    image = Image.new("RGBA", (width + 4, height + 6), (255, 255, 255, 0))
    ImageDraw.Draw(image).text((2, 0), text, fill=fill, font=face)
    return image.rotate(90, expand=True)
