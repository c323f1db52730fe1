"""Reads a folder of `<label>/<image>` files (JPEG, PNG, BMP, GIF) into image records."""
import io
import os
from typing import Iterator, Optional, Tuple

import numpy as np

from kerasknow.config.settings import setting
from kerasknow.data import file_system as fs
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError
from kerasknow.images.image_record import encode_png, image_record, mode_channels

#: Pillow format names the reader accepts; anything else (TIFF, WebP, ...) is rejected because
#: TF Serving's `decode_image` cannot read it either.
SUPPORTED_FORMATS = ("JPEG", "PNG", "BMP", "GIF")
# File signatures, to tell a damaged image ("corrupt") from a file that is no image at all.
_MAGIC = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF8", "GIF"), (b"BM", "BMP"))


class ImageFolderReader:
    """Reads images from `<root>/<label>/<file>` (files in subfolders of a label folder count too).

    Every file becomes one record or one reject:

    - zero-byte files, non-images, unsupported formats, corrupt and truncated images are
      rejected with the path and the reason (`RejectsReport`);
    - greyscale, grey+alpha, palette, 16-bit and CMYK images are converted to RGB (alpha is
      dropped, as TensorFlow's `decode_image(channels=3)` does when serving) and stored as PNG;
    - RGB JPEG and RGB PNG files are stored as their original bytes (re-encoding a JPEG would
      lose quality); BMP and GIF (first frame) are re-encoded to PNG.

    The record key is the content hash (`image_record.pixel_sha256`: SHA-256 of the decoded RGB
    pixels), so exact duplicates land in the same split.

    Args:
        root: The folder holding one subfolder per label.

    Raises:
        DataError: When `root` is not a folder or has no label subfolders.

    Example:

    ```python
    report = RejectsReport(max_reject_fraction=0.1)
    records = list(ImageFolderReader("pets/").read(report))
    records[0].features["label"]
    # -> 'cat'
    ```
    """

    def __init__(self, root: str):
        if not isinstance(root, (str, os.PathLike)) or not fs.isdir(os.fspath(root)):
            raise DataError(
                f"Image data ({setting('data')}) must be a folder with one subfolder per label (<label>/<image>). "
                f"Received: data={root!r}"
            )
        self.root = os.fspath(root)
        self.labels = [d for d in fs.listdir(self.root) if fs.isdir(fs.join(self.root, d))]
        if not self.labels:
            raise DataError(
                f"The image folder {self.root} has no label subfolders. Expected <label>/<image> "
                "files, e.g. cats/001.jpg and dogs/002.png."
            )

    def _files(self) -> Iterator[Tuple[Optional[str], str]]:
        """Yields `(label, path)` in a stable order; label None for files outside label folders."""
        for name in fs.listdir(self.root):
            path = fs.join(self.root, name)
            if not fs.isdir(path):
                yield None, path
        for label in self.labels:
            folder = fs.join(self.root, label)
            for directory, subdirs, files in fs.walk(folder):
                subdirs.sort()
                for name in sorted(files):
                    yield label, fs.join(directory, name)

    def read(self, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields one record per usable image; every other file goes to `report`.

        Args:
            report: Receives `accept()` per record and `reject(path, None, reason)` per bad file.

        Yields:
            `KnowledgeRecord`s with features `image`, `label`, `image_sha256`, `height`,
            `width`, `channels`.
        """
        for label, path in self._files():
            if label is None:
                report.reject(path, None, "file outside a label folder: expected <label>/<image>")
                continue
            record, reason = self.read_file(path, label)
            if record is None:
                report.reject(path, None, reason)
            else:
                report.accept()
                yield record

    @staticmethod
    def read_file(path: str, label: str) -> Tuple[Optional[KnowledgeRecord], str]:
        """Decodes one file.

        Returns:
            `(record, "")`, or `(None, reason)` when the file is unusable.
        """
        from PIL import Image, UnidentifiedImageError

        data = fs.read_bytes(path)
        if not data:
            return None, "zero-byte file: the file is empty"
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            claimed = next((fmt for magic, fmt in _MAGIC if data.startswith(magic)), None)
            if claimed:
                return None, f"corrupt image: starts like a {claimed} file but Pillow cannot read it ({len(data)} bytes)"
            return None, f"not an image: Pillow cannot identify the file ({len(data)} bytes, starts {data[:8]!r})"
        except (OSError, ValueError, SyntaxError) as e:
            return None, f"corrupt image: {e}"
        file_format = image.format or "unknown"
        if file_format not in SUPPORTED_FORMATS:
            return None, (f"unsupported image format: {file_format}; expected one of "
                          f"{', '.join(SUPPORTED_FORMATS)} (convert it, e.g. to PNG)")
        try:
            # GIF: Pillow opens the first frame; seek(0) makes that explicit for animations.
            image.seek(0)
            image.load()
        except OSError as e:
            text = str(e)
            kind = "truncated image" if "truncat" in text.lower() else "corrupt image"
            return None, f"{kind}: {file_format} data cannot be decoded ({text})"
        except (ValueError, SyntaxError, Image.DecompressionBombError) as e:
            return None, f"corrupt image: {file_format} data cannot be decoded ({e})"
        if image.width < 1 or image.height < 1:
            return None, f"corrupt image: size {image.width}x{image.height}"
        channels = mode_channels(image)
        keep_bytes = file_format in ("JPEG", "PNG") and image.mode == "RGB"
        rgb = np.asarray(image if image.mode == "RGB" else _to_rgb(image), dtype=np.uint8)
        encoded = data if keep_bytes else encode_png(rgb)
        return image_record(encoded, rgb, label, channels, path), ""


def _to_rgb(image):
    """RGB of any Pillow mode; 16-bit and float greyscale are scaled to 8 bits first."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I") and values.max(initial=0) > 255 else 255.0
        grey = np.clip(np.round(values * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.stack([grey] * 3, axis=-1)
    return image.convert("RGB")

