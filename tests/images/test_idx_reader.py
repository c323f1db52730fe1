"""IdxReader: MNIST-style IDX files, class names, and every structural error."""
import gzip
import io
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError
from kerasknow.images.idx_reader import (FASHION_MNIST_CLASSES, IdxReader, find_idx_pairs, is_fashion_mnist,
                                         read_idx, write_idx_pair)

FASHION = "/usr/share/datasets/fashion-mnist"


def _pair(folder, n=6, prefix="train", label_names=None):
    rng = np.random.RandomState(0)
    images = rng.randint(0, 256, size=(n, 5, 4), dtype=np.uint8)
    labels = (np.arange(n) % 3).astype(np.uint8)
    write_idx_pair(os.path.join(str(folder), prefix), images, labels, label_names)
    return images, labels


def test_reads_gzip_pairs_as_rgb_png_records(tmp_path):
    images, labels = _pair(tmp_path / "mnist")
    report = RejectsReport()
    records = list(IdxReader(str(tmp_path / "mnist")).read(report))
    assert report.used == 6 and report.rejected == 0
    assert [r.features["label"] for r in records] == [str(v) for v in labels]
    first = records[0]
    decoded = np.asarray(Image.open(io.BytesIO(first.features["image"])))
    assert decoded.shape == (5, 4, 3)
    np.testing.assert_array_equal(decoded[:, :, 1], images[0])
    assert (first.features["height"], first.features["width"], first.features["channels"]) == (5, 4, 1)
    assert first.line == 1 and first.source.endswith("train-images-idx3-ubyte.gz")
    assert first.key == first.features["image_sha256"]


def test_uncompressed_files_and_images_file_path(tmp_path):
    _pair(tmp_path)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        with gzip.open(tmp_path / f"{name}.gz") as f:
            (tmp_path / "raw").mkdir(exist_ok=True)
            (tmp_path / "raw" / name).write_bytes(f.read())
    path = str(tmp_path / "raw" / "train-images-idx3-ubyte")
    assert find_idx_pairs(path) == [(path, str(tmp_path / "raw" / "train-labels-idx1-ubyte"))]
    assert len(list(IdxReader(path).read(RejectsReport()))) == 6


def test_label_names_file_and_unnamed_labels(tmp_path):
    _pair(tmp_path, label_names=["zero", "one"])  # label value 2 has no name
    report = RejectsReport(max_reject_fraction=1.0)
    records = list(IdxReader(str(tmp_path)).read(report))
    assert {r.features["label"] for r in records} == {"zero", "one"}
    assert report.rejected == 2
    assert report.rejects[0].line == 3 and report.rejects[0].source.endswith("train-images-idx3-ubyte.gz")
    assert report.rejects[0].reason.startswith("label without a name: label value 2")


def test_fashion_mnist_names_from_the_folder_name(tmp_path):
    _pair(tmp_path / "my-Fashion-subset")
    assert IdxReader(str(tmp_path / "my-Fashion-subset")).label_names == list(FASHION_MNIST_CLASSES)
    _pair(tmp_path / "plain")
    assert IdxReader(str(tmp_path / "plain")).label_names is None


@pytest.mark.skipif(not os.path.isdir(FASHION), reason="needs Debian's dataset-fashion-mnist")
def test_official_fashion_labels_are_recognised_by_content(tmp_path):
    copy = tmp_path / "renamed" / "t10k-labels-idx1-ubyte.gz"
    copy.parent.mkdir()
    shutil.copyfile(f"{FASHION}/t10k-labels-idx1-ubyte.gz", copy)
    assert is_fashion_mnist(str(copy.parent), [str(copy)])
    other = tmp_path / "other"
    _pair(other)
    assert not is_fashion_mnist(str(other), [str(other / "train-labels-idx1-ubyte.gz")])


def test_bad_magic_names_the_file_and_the_expected_magic(tmp_path):
    _pair(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    with gzip.open(path) as f:
        data = bytearray(f.read())
    data[3] = 0x03
    with gzip.open(path, "wb") as f:
        f.write(bytes(data))
    with pytest.raises(DataError, match=r"labels file .*train-labels-idx1-ubyte.gz has magic number 0x00000803; "
                                        r"expected 0x00000801"):
        list(IdxReader(str(tmp_path)).read(RejectsReport()))


def test_count_mismatch(tmp_path):
    _pair(tmp_path, n=6)
    other = tmp_path / "other"
    _pair(other, n=5)
    shutil.copyfile(other / "train-labels-idx1-ubyte.gz", tmp_path / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz holds 6 images but the labels file "
                                        r".*train-labels-idx1-ubyte.gz holds 5 labels"):
        list(IdxReader(str(tmp_path)).read(RejectsReport()))


def test_truncated_file_and_missing_labels(tmp_path):
    _pair(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path) as f:
        data = f.read()
    with gzip.open(path, "wb") as f:
        f.write(data[:-7])
    with pytest.raises(DataError, match=r"images file .*train-images-idx3-ubyte.gz holds 113 data bytes; its "
                                        r"header \(dimensions \[6, 5, 4\]\) expects 120"):
        read_idx(str(path), 0x803, "images")
    os.remove(tmp_path / "train-labels-idx1-ubyte.gz")
    with pytest.raises(DataError, match="has no labels file"):
        IdxReader(str(tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="No IDX images file in"):
        IdxReader(str(empty))


def test_not_gzip_despite_the_name(tmp_path):
    (tmp_path / "x-images-idx3-ubyte.gz").write_bytes(b"\x00\x00\x08\x03plain")
    with pytest.raises(DataError, match=r"Cannot read the IDX file .*x-images-idx3-ubyte.gz"):
        read_idx(str(tmp_path / "x-images-idx3-ubyte.gz"), 0x803, "images")
