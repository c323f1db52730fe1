"""Training examples/s of MiniLM under XLA on a CPU with Keras' dropout vs `HashDropout`.

Both models are built by `build_bert_sequence_classifier` under the text family's plan
(`mixed_bfloat16` on AMX-BF16 CPUs, XLA, the plan's CPU XLA flags), from the same weights and
seed; one keeps transformers' `tf.keras.layers.Dropout` layers (`hash_dropout=False`), the other
has them replaced by `HashDropout` (the builders' default under XLA). A third model with every
dropout rate set to 0 is the floor: what a step costs with no dropout at all (a different
computation, shown only to say how much of dropout's cost is left).

The models train in one process on fixed synthetic `[16, 128]` batches, alternating in rounds
of `--steps` steps (the order flips every round), so load from other jobs hits them alike; the
ratio printed is the median of the per-round ratios of median step times. A first part times
the mask alone: Keras' `tf.nn.dropout` vs `HashDropout` on one attention-probability tensor
`[16, 12, 128, 128]` in bfloat16 under XLA.

    python bench/hash_dropout.py                  # 4 rounds of 8 steps
    python bench/hash_dropout.py --rounds 6 --out bench/results/hash_dropout.json
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kerasknow  # noqa: F401,E402  (sets TF_USE_LEGACY_KERAS before TensorFlow)

VARIANTS = ("keras", "hash", "no-dropout")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds of all variants (default 4)")
    parser.add_argument("--steps", type=int, default=8, help="timed training steps per variant per round (default 8)")
    parser.add_argument("--out", default="", help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.steps < 1:
        parser.error(f"--rounds and --steps must be >= 1. Received: {args.rounds}, {args.steps}")
    return args


def mask_only(repeats: int = 15):
    """Median ms of one dropout over a [16, 12, 128, 128] bfloat16 tensor under XLA."""
    import tensorflow as tf

    from kerasknow.models.hash_dropout import HashDropout

    x = tf.ones([16, 12, 128, 128], tf.bfloat16)
    layer = HashDropout(0.1)
    fns = {"keras": tf.function(lambda t: tf.reduce_sum(tf.cast(tf.nn.dropout(t, 0.1), tf.float32)), jit_compile=True),
           "hash": tf.function(lambda t: tf.reduce_sum(tf.cast(layer(t, training=True), tf.float32)), jit_compile=True)}
    times = {k: [] for k in fns}
    for fn in fns.values():
        fn(x).numpy()  # compile
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(x).numpy()
            times[name].append(time.perf_counter() - start)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def build(variant: str, policy: str):
    """precision_xla's MiniLM under XLA with the variant's dropout."""
    import precision_xla
    import tensorflow as tf

    model = precision_xla.build("text", policy, True, hash_dropout=variant == "hash")
    if variant == "no-dropout":
        for layer in model.submodules:
            if isinstance(layer, tf.keras.layers.Dropout):
                layer.rate = 0.0
    return model


def main(argv=None):
    args = parse_args(argv)
    from kerasknow.config import RunConfig
    from kerasknow.family.registry import get_task_family

    plan = get_task_family("text-classification").hardware_plan(RunConfig(training={"xla": "on"}))
    plan.apply_xla_flags()  # as run_fn does, before the process's first XLA compile
    import precision_xla
    import tensorflow as tf
    from rounds import alternating_rounds, report_rounds, write_json
    from step_clock import step_clock

    tf.get_logger().setLevel("ERROR")
    mask_ms = mask_only()
    print(f"mask of [16, 12, 128, 128] bfloat16 under XLA: Keras {mask_ms['keras']:.2f} ms, "
          f"HashDropout {mask_ms['hash']:.2f} ms ({mask_ms['keras'] / mask_ms['hash']:.1f}x)", flush=True)

    ds, batch = precision_xla.dataset("text")
    models = {v: build(v, plan.precision_policy) for v in VARIANTS}
    for model in models.values():
        model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)  # untimed: tracing, XLA compiling
    clocks = {}

    def measure(variant):
        clocks[variant] = step_clock()
        models[variant].fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0, callbacks=[clocks[variant]])
        return batch / statistics.median(clocks[variant].step_seconds)

    rates = alternating_rounds(VARIANTS, args.rounds, measure)
    ratios = report_rounds(f"MiniLM, batch {batch} x 128, {plan.precision_policy} + XLA, "
                           f"{args.rounds} rounds x {args.steps} steps", rates, "hash", "keras")
    write_json(args.out, {"precision": plan.precision_policy, "xla_flags": list(plan.xla_flags),
                          "mask_ms": mask_ms, "examples_per_s": rates, "hash_over_keras_per_round": ratios,
                          "hash_over_keras_median": statistics.median(ratios)})

if __name__ == "__main__":
    main()
