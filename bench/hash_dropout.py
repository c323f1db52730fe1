"""Keras' dropout vs `HashDropout`: MiniLM training examples/s under XLA on a CPU, and the mask alone.

Both models are built by `build_bert_sequence_classifier` under the text family's plan
(`mixed_bfloat16` on AMX-BF16 CPUs, XLA, the plan's CPU XLA flags), from the same weights and
seed; one keeps transformers' `tf.keras.layers.Dropout` layers (`hash_dropout=False`), the other
has them replaced by `HashDropout` (the builders' default under XLA). A third model with every
dropout rate set to 0 is the floor: what a step costs with no dropout at all (a different
computation, shown only to say how much of dropout's cost is left).

The models train in one process on fixed synthetic `[16, 128]` batches, alternating in rounds
of `--steps` steps (the order flips every round), so load from other jobs hits them alike; the
ratio reported is the median of the per-round ratios of median step times. A first part times
the mask alone: Keras' `tf.nn.dropout` vs `HashDropout` on one attention-probability tensor
`[16, 12, 128, 128]` in bfloat16 under XLA.

    python -m bench hash_dropout                  # 4 rounds of 8 steps, ~4 min
    python -m bench hash_dropout --rounds 6
"""
import statistics
import tempfile
import time

from bench.common.bounded_int import bounded_int
from bench.common.smoke_eagerly import smoke_eagerly

FIGURES = ("precision", "xla_flags", "mask_ms", "examples_per_s", "hash_over_keras_per_round",
           "hash_over_keras_median")
SMOKE = {"rounds": 1, "steps": 2}
VARIANTS = ("keras", "hash", "no-dropout")


def add_arguments(parser):
    """The options: `--rounds`, `--steps`."""
    parser.add_argument("--rounds", type=bounded_int(1), default=4, help="rounds of all variants")
    parser.add_argument("--steps", type=bounded_int(1), default=8, help="timed training steps per variant per round")


def _mask_only(repeats: int = 15) -> dict:
    """Median ms of one dropout over a [16, 12, 128, 128] bfloat16 tensor under XLA, per variant."""
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


def _build(variant: str, policy: str, checkpoint: str):
    """The probe's BERT under XLA with the variant's dropout."""
    import tensorflow as tf

    from bench.common.probe_model import probe_model

    model = probe_model("text", policy, True, checkpoint, hash_dropout=variant == "hash")
    if variant == "no-dropout":
        for layer in model.submodules:
            if isinstance(layer, tf.keras.layers.Dropout):
                layer.rate = 0.0
    return model


def run(args, smoke: bool) -> dict:
    """Times the masks, then trains the three variants in alternating rounds.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: A tiny random BERT instead of MiniLM.

    Returns:
        The figures: `precision`, `xla_flags`, `mask_ms` (per variant), `examples_per_s` (per
        variant, one per round), `hash_over_keras_per_round` and `hash_over_keras_median`.
    """
    from kerasknow.config import RunConfig
    from kerasknow.family.registry import get_task_family

    plan = get_task_family("text-classification").hardware_plan(RunConfig(training={"xla": "on"}))
    plan.apply_xla_flags()  # as run_fn does, before the process's first XLA compile
    import tensorflow as tf

    from bench.common.bert_checkpoint import bert_checkpoint
    from bench.common.probe_batches import probe_batches
    from bench.common.rounds import alternating_rounds, report_rounds
    from bench.common.step_clock import step_clock

    tf.get_logger().setLevel("ERROR")
    smoke_eagerly(smoke)
    mask_ms = _mask_only()
    print(f"mask of [16, 12, 128, 128] bfloat16 under XLA: Keras {mask_ms['keras']:.2f} ms, "
          f"HashDropout {mask_ms['hash']:.2f} ms ({mask_ms['keras'] / mask_ms['hash']:.1f}x)", flush=True)

    ds, batch = probe_batches("text")
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        checkpoint = bert_checkpoint(smoke, workdir)
        models = {v: _build(v, plan.precision_policy, checkpoint) for v in VARIANTS}
        for model in models.values():
            model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)  # untimed: tracing, XLA compiling

        def measure(variant):
            clock = step_clock()
            models[variant].fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0, callbacks=[clock])
            return batch / statistics.median(clock.step_seconds)

        rates = alternating_rounds(VARIANTS, args.rounds, measure)
    ratios = report_rounds(f"{'tiny BERT' if smoke else 'MiniLM'}, batch {batch} x 128, {plan.precision_policy} "
                           f"+ XLA, {args.rounds} rounds x {args.steps} steps", rates, "hash", "keras")
    return {"precision": plan.precision_policy, "xla_flags": list(plan.xla_flags), "mask_ms": mask_ms,
            "examples_per_s": rates, "hash_over_keras_per_round": ratios,
            "hash_over_keras_median": statistics.median(ratios)}


def tables(results) -> dict:
    """docs/performance.md's table `hash_dropout`, from result `hash_dropout` (when it exists)."""
    figures = results.figures("hash_dropout")
    if figures is None:
        return {}
    mask = figures["mask_ms"]
    rate = {v: statistics.median(figures["examples_per_s"][v]) for v in VARIANTS}
    rounds = ", ".join(f"{r:.2f}" for r in figures["hash_over_keras_per_round"])
    return {"hash_dropout": "\n".join([
        "| | Keras' dropout | `HashDropout` | no dropout (reference, a different computation) |",
        "|---|---|---|---|",
        f"| mask of one `[16, 12, 128, 128]` bfloat16 tensor under XLA | {mask['keras']:.1f} ms "
        f"| {mask['hash']:.1f} ms ({mask['keras'] / mask['hash']:.1f}x) | |",
        f"| MiniLM training step, median | {rate['keras']:.1f} ex/s | {rate['hash']:.1f} ex/s: "
        f"**{figures['hash_over_keras_median']:.2f}x** (rounds {rounds}) | {rate['no-dropout']:.1f} ex/s |"])}
