"""A Fashion-MNIST subset as IDX files, the form kerasknow's image family reads."""
import os

#: Where the machine keeps Fashion-MNIST's four IDX files.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def fashion_mnist(folder: str, images: int) -> str:
    """Writes the first `images` Fashion-MNIST training images as an IDX pair under `folder`.

    Args:
        folder: Where to write; `<folder>/train-images-idx3-ubyte.gz` and its labels file.
        images: How many images (>= 1; at most the 60,000 of the training set).

    Returns:
        `folder`, a data folder `IdxReader` and `RunConfig(data=...)` take.

    Raises:
        ValueError: When `images` < 1.
        FileNotFoundError: When Fashion-MNIST is not at `FASHION_MNIST_DIR`.
    """
    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx, write_idx_pair

    if images < 1:
        raise ValueError(f"images must be >= 1. Received: images={images}")
    source = os.path.join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz")
    if not os.path.isfile(source):
        raise FileNotFoundError(f"The image benchmarks read Fashion-MNIST from {FASHION_MNIST_DIR}. "
                                f"Received: no file {source}")
    pixels = read_idx(source, 0x803, "images")[:images]
    labels = read_idx(os.path.join(FASHION_MNIST_DIR, "train-labels-idx1-ubyte.gz"), 0x801, "labels")[:images]
    write_idx_pair(os.path.join(folder, "train"), pixels, labels, FASHION_MNIST_CLASSES)
    return folder
