"""Reads the IDX files of MNIST and Fashion-MNIST (gzip or not) into image records."""
import gzip
import hashlib
import os
import re
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np

from kerasknow.data import file_system as fs
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import DataError
from kerasknow.images.image_record import encode_png, image_record

#: Fashion-MNIST's class names, index = label value.
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
#: A file of class names (one per line, line i names label value i) beside the IDX files.
LABEL_NAMES_FILE = "label_names.txt"
# SHA-256 of the official Fashion-MNIST label files, decompressed (train, t10k).
_FASHION_LABEL_SHA256 = {
    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
_IMAGES_RE = re.compile(r"^(?P<prefix>.*)-images[-.]idx3-ubyte(?P<gz>\.gz)?$")
_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension


def _read_bytes(path: str) -> bytes:
    import tensorflow as tf

    try:
        data = fs.read_bytes(path)
        return gzip.decompress(data) if path.endswith(".gz") else data
    except (OSError, EOFError, tf.errors.OpError) as e:
        raise DataError(f"Cannot read the IDX file {path}: {e}. Expected an IDX file, gzip-compressed "
                        "when its name ends in .gz.") from e


def read_idx(path: str, magic: int, what: str) -> np.ndarray:
    """Reads one IDX file of unsigned bytes.

    Args:
        path: The file (`.gz` is decompressed).
        magic: The expected magic number (0x803 images, 0x801 labels).
        what: `"images"` or `"labels"`, for messages.

    Returns:
        A uint8 array of the file's dimensions.

    Raises:
        DataError: For a bad magic number or a size that does not match the header.
    """
    data = _read_bytes(path)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < 4:
        raise DataError(f"The IDX {what} file {path} is too short ({len(data)} bytes) to hold a header. "
                        f"Expected magic number 0x{magic:08x}.")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataError(
            f"The IDX {what} file {path} has magic number 0x{found:08x}; expected 0x{magic:08x} "
            f"(unsigned bytes, {ndim} dimension{'s' if ndim > 1 else ''}). Is it the right file, or "
            "a .gz file without the .gz name?"
        )
    if len(data) < header:
        raise DataError(f"The IDX {what} file {path} is truncated inside its header ({len(data)} bytes).")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise DataError(
            f"The IDX {what} file {path} holds {len(data) - header} data bytes; its header "
            f"(dimensions {dims}) expects {expected - header}. The file is truncated or corrupt."
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def _folder_of(path: str) -> str:
    """The folder holding the file `path` (`"."` for a bare local file name)."""
    return path.rsplit("/", 1)[0] if "/" in path.rstrip("/") else "."


def find_idx_pairs(data: str) -> List[Tuple[str, str]]:
    """`(images, labels)` IDX file pairs in a folder, or the pair of one images file.

    Pairs are matched by prefix: `<prefix>-images-idx3-ubyte[.gz]` with
    `<prefix>-labels-idx1-ubyte[.gz]` (a `.` instead of the `-` before `idx` also matches).

    Raises:
        DataError: When no images file is found, or an images file has no labels file.
    """
    if fs.isdir(data):
        images = [fs.join(data, n) for n in fs.listdir(data) if _IMAGES_RE.match(n)]
        if not images:
            raise DataError(
                f"No IDX images file in {data}. Expected files named <prefix>-images-idx3-ubyte[.gz] "
                "with <prefix>-labels-idx1-ubyte[.gz] beside them (e.g. train-images-idx3-ubyte.gz)."
            )
    elif fs.isfile(data) and _IMAGES_RE.match(fs.basename(data)):
        images = [data]
    else:
        raise DataError(
            "IDX data must be a folder of <prefix>-images-idx3-ubyte[.gz] / <prefix>-labels-idx1-ubyte[.gz] "
            f"pairs or the path of an images file. Received: data={data!r}"
        )
    pairs = []
    for path in images:
        m = _IMAGES_RE.match(fs.basename(path))
        folder = _folder_of(path)
        candidates = [fs.join(folder, f"{m.group('prefix')}-labels{sep}idx1-ubyte{gz}")
                      for sep in ("-", ".") for gz in (".gz", "")]
        found = [c for c in candidates if fs.isfile(c)]
        if not found:
            raise DataError(
                f"The IDX images file {path} has no labels file. Expected one of "
                f"{[fs.basename(c) for c in candidates]} in {folder}."
            )
        pairs.append((path, found[0]))
    return pairs


def is_idx_data(path: str) -> bool:
    """Whether `path` is an IDX images file or a folder holding one."""
    if fs.isdir(path):
        return any(_IMAGES_RE.match(name) for name in fs.listdir(path))
    return bool(_IMAGES_RE.match(fs.basename(path)))


def is_fashion_mnist(data: str, label_files: Sequence[str]) -> bool:
    """Whether the IDX data is Fashion-MNIST.

    True when the name of the folder holding the IDX files, or a labels file's name, contains
    "fashion" (case-insensitive), or a labels file is an official Fashion-MNIST labels file (its
    decompressed SHA-256 is known).
    """
    folder = data if fs.isdir(data) else _folder_of(data)
    if "://" not in folder:
        folder = os.path.abspath(folder)  # a local "." or "": the name of the folder it stands for
    names = [fs.basename(folder)] + [fs.basename(p) for p in label_files]
    if any("fashion" in name.lower() for name in names):
        return True
    return any(hashlib.sha256(_read_bytes(p)).hexdigest() in _FASHION_LABEL_SHA256 for p in label_files)


class IdxReader:
    """Reads MNIST-style IDX image/label pairs; images are stored as RGB PNG.

    Class names, in this order of precedence:

    1. `label_names.txt` beside the IDX files (or the `label_names` argument): line i names
       label value i;
    2. Fashion-MNIST's ten names when `is_fashion_mnist` says so (the IDX folder's or a labels
       file's name contains "fashion", or the labels files are the official Fashion-MNIST ones);
    3. otherwise the label value as a string (`"0"` ... `"9"` for MNIST).

    A record whose label value has no name is rejected (source = images file, line = 1-based
    record number). Structural problems (bad magic number, count mismatch, truncated file) raise
    `DataError` naming the file and what was expected.

    Args:
        data: A folder of IDX pairs, or the path of an images file.
        label_names: Class names (overrides the names file and detection).

    Example:

    ```python
    reader = IdxReader("/usr/share/datasets/fashion-mnist")
    next(reader.read(RejectsReport())).features["label"]
    # -> 'Ankle boot'
    ```
    """

    def __init__(self, data: str, label_names: Optional[Sequence[str]] = None):
        if not isinstance(data, (str, os.PathLike)):
            raise DataError(f"IDX data must be a path. Received: data={data!r}")
        self.data = os.fspath(data)
        self.pairs = find_idx_pairs(self.data)
        self.label_names = list(label_names) if label_names is not None else self._names()

    def _names(self) -> Optional[List[str]]:
        folder = self.data if fs.isdir(self.data) else _folder_of(self.data)
        names_file = fs.join(folder, LABEL_NAMES_FILE)
        if fs.isfile(names_file):
            names = [line.strip() for line in fs.read_bytes(names_file).decode("utf-8").splitlines() if line.strip()]
            if not names:
                raise DataError(f"{names_file} is empty. Expected one class name per line (line i = label i).")
            return names
        if is_fashion_mnist(self.data, [labels for _, labels in self.pairs]):
            return list(FASHION_MNIST_CLASSES)
        return None

    def read(self, report: RejectsReport) -> Iterator[KnowledgeRecord]:
        """Yields one record per image (see the class docstring).

        Raises:
            DataError: For a bad magic number, a truncated file, or images and labels counts
                that differ.
        """
        for images_path, labels_path in self.pairs:
            images = read_idx(images_path, _IMAGES_MAGIC, "images")
            labels = read_idx(labels_path, _LABELS_MAGIC, "labels")
            if len(images) != len(labels):
                raise DataError(
                    f"The IDX images file {images_path} holds {len(images)} images but the labels file "
                    f"{labels_path} holds {len(labels)} labels. Expected one label per image."
                )
            for i, (pixels, value) in enumerate(zip(images, labels)):
                value = int(value)
                if self.label_names is None:
                    label = str(value)
                elif value < len(self.label_names):
                    label = self.label_names[value]
                else:
                    report.reject(images_path, i + 1, f"label without a name: label value {value}, but only "
                                  f"{len(self.label_names)} class names are known (label_names.txt)")
                    continue
                rgb = np.repeat(pixels[:, :, None], 3, axis=2)
                report.accept()
                yield image_record(encode_png(rgb), rgb, label, 1, images_path, i + 1)


def write_idx_pair(prefix: str, images: np.ndarray, labels: np.ndarray,
                   label_names: Optional[Sequence[str]] = None) -> Tuple[str, str]:
    """Writes `<prefix>-images-idx3-ubyte.gz` and `<prefix>-labels-idx1-ubyte.gz`.

    Used to cut subsets of (Fashion-)MNIST, e.g. for the demo. Files that already hold the same
    bytes are left as they are (`write_if_changed`), so a rerun on them is TFX-cached.

    Args:
        prefix: Path prefix, e.g. `"subset/train"`.
        images: uint8 `[n, height, width]`.
        labels: uint8 `[n]`.
        label_names: When given, also written to `label_names.txt` beside the files.

    Returns:
        The two paths written.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3 or labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(
            "images must be uint8 [n, height, width] and labels uint8 [n]. "
            f"Received: images {images.dtype} {images.shape}, labels {labels.dtype} {labels.shape}"
        )
    from kerasknow.data.unchanged_write import write_if_changed

    paths = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    for path, magic, array in ((paths[0], _IMAGES_MAGIC, images), (paths[1], _LABELS_MAGIC, labels)):
        header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        # mtime=0: the same arrays give the same bytes, so a rewrite leaves the file as it was.
        write_if_changed(path, gzip.compress(header + array.tobytes(), compresslevel=6, mtime=0))
    if label_names is not None:
        write_if_changed(os.path.join(os.path.dirname(os.path.abspath(prefix)), LABEL_NAMES_FILE),
                         "".join(f"{name}\n" for name in label_names).encode("utf-8"))
    return paths
