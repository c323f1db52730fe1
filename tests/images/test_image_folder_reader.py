"""ImageFolderReader: formats, conversions and every kind of bad file."""
import io
import re
import os

import numpy as np
import pytest
from PIL import Image

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError
from kerasknow.images.image_folder_reader import ImageFolderReader
from kerasknow.images.image_record import pixel_sha256


def _rgb(seed=0, size=(12, 10)):
    return np.random.RandomState(seed).randint(0, 256, size=(size[0], size[1], 3), dtype=np.uint8)


def _save(path, image, fmt, **kwargs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, format=fmt, **kwargs)
    return path


def _read(root, max_reject_fraction=1.0):
    report = RejectsReport(max_reject_fraction)
    records = {os.path.basename(r.source): r for r in ImageFolderReader(str(root)).read(report)}
    return records, report


def _decode(data):
    return np.asarray(Image.open(io.BytesIO(data)))


def test_rgb_png_and_jpeg_keep_their_bytes(tmp_path):
    pixels = _rgb()
    png = _save(str(tmp_path / "a" / "x.png"), Image.fromarray(pixels), "PNG")
    jpg = _save(str(tmp_path / "b" / "y.jpg"), Image.fromarray(pixels), "JPEG", quality=90)
    records, report = _read(tmp_path)
    assert (report.used, report.rejected) == (2, 0)
    assert records["x.png"].features["image"] == open(png, "rb").read()
    assert records["y.jpg"].features["image"] == open(jpg, "rb").read()
    x = records["x.png"]
    assert x.features["label"] == "a" and records["y.jpg"].features["label"] == "b"
    assert (x.features["height"], x.features["width"], x.features["channels"]) == (12, 10, 3)
    assert x.key == x.features["image_sha256"] == pixel_sha256(pixels)


def test_grayscale_rgba_bmp_are_converted_to_rgb_png(tmp_path):
    pixels = _rgb(1)
    grey = pixels[:, :, 0]
    _save(str(tmp_path / "l" / "grey.png"), Image.fromarray(grey, mode="L"), "PNG")
    rgba = np.concatenate([pixels, np.full(pixels.shape[:2] + (1,), 7, np.uint8)], axis=2)
    _save(str(tmp_path / "l" / "alpha.png"), Image.fromarray(rgba, mode="RGBA"), "PNG")
    _save(str(tmp_path / "l" / "bitmap.bmp"), Image.fromarray(pixels), "BMP")
    records, report = _read(tmp_path)
    assert report.rejected == 0
    for name, channels, expected in (("grey.png", 1, np.stack([grey] * 3, -1)), ("alpha.png", 4, pixels),
                                     ("bitmap.bmp", 3, pixels)):
        record = records[name]
        data = record.features["image"]
        assert data.startswith(b"\x89PNG"), name
        decoded = _decode(data)
        assert decoded.shape == (12, 10, 3), name
        np.testing.assert_array_equal(decoded, expected)
        assert record.features["channels"] == channels
    # Same pixels in BMP and PNG: the same content hash (one image, one split).
    _save(str(tmp_path / "l" / "same.png"), Image.fromarray(pixels), "PNG")
    records, _ = _read(tmp_path)
    assert records["same.png"].key == records["bitmap.bmp"].key == records["alpha.png"].key


def test_gif_first_frame(tmp_path):
    red = Image.new("RGB", (9, 7), (255, 0, 0))
    blue = Image.new("RGB", (9, 7), (0, 0, 255))
    path = str(tmp_path / "anim" / "moving.gif")
    os.makedirs(os.path.dirname(path))
    red.save(path, save_all=True, append_images=[blue], duration=100, loop=0)
    records, _ = _read(tmp_path)
    decoded = _decode(records["moving.gif"].features["image"])
    assert decoded.shape == (7, 9, 3)
    assert tuple(decoded[3, 4]) == (255, 0, 0)


@pytest.mark.parametrize("name, content, reason", [
    ("empty.png", b"", r"^zero-byte file"),
    ("notes.txt", b"this is a caption, not an image\n", r"^not an image: Pillow cannot identify"),
    ("fake.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, r"^corrupt image: starts like a JPEG"),
])
def test_bad_files_are_rejected_with_path_and_reason(tmp_path, name, content, reason):
    _save(str(tmp_path / "ok" / "good.png"), Image.fromarray(_rgb()), "PNG")
    bad = tmp_path / "ok" / name
    bad.write_bytes(content)
    records, report = _read(tmp_path)
    assert list(records) == ["good.png"] and (report.used, report.rejected) == (1, 1)
    reject = report.rejects[0]
    assert reject.source == str(bad)
    assert reject.line is None
    assert re.match(reason, reject.reason), reject.reason


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_truncated_images_are_rejected(tmp_path, fmt, suffix):
    buffer = io.BytesIO()
    Image.fromarray(_rgb(2, (64, 64))).save(buffer, format=fmt)
    data = buffer.getvalue()
    path = tmp_path / "cut" / f"half{suffix}"
    path.parent.mkdir()
    path.write_bytes(data[: len(data) // 2])
    records, report = _read(tmp_path)
    assert not records
    assert report.rejects[0].source == str(path)
    assert report.rejects[0].reason.startswith(("truncated image", "corrupt image"))
    assert fmt in report.rejects[0].reason


def test_damaged_png_data_is_rejected_as_corrupt(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(_rgb(3, (32, 32))).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    at = data.index(b"IDAT") + 20
    data[at:at + 10] = bytes(10)
    path = tmp_path / "bad" / "damaged.png"
    path.parent.mkdir()
    path.write_bytes(bytes(data))
    _, report = _read(tmp_path)
    assert report.rejects[0].source == str(path)
    assert re.match(r"corrupt image: PNG data cannot be decoded \(broken data stream", report.rejects[0].reason)


def test_unsupported_format_and_files_outside_label_folders(tmp_path):
    _save(str(tmp_path / "ok" / "scan.tiff"), Image.fromarray(_rgb()), "TIFF")
    _save(str(tmp_path / "loose.png"), Image.fromarray(_rgb()), "PNG")
    records, report = _read(tmp_path)
    reasons = {os.path.basename(r.source): r.reason for r in report.rejects}
    assert reasons["scan.tiff"].startswith("unsupported image format: TIFF")
    assert reasons["loose.png"].startswith("file outside a label folder")
    assert report.read == 2 and report.used == 0
    with pytest.raises(DataError, match="No usable knowledge records"):
        report.check()


def test_not_a_folder_or_no_labels(tmp_path):
    with pytest.raises(DataError, match="must be a folder with one subfolder per label"):
        ImageFolderReader(str(tmp_path / "missing"))
    with pytest.raises(DataError, match="has no label subfolders"):
        ImageFolderReader(str(tmp_path))
