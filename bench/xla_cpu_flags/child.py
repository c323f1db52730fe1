"""One measurement of bench.xla_cpu_flags, in a process of its own: prints `RESULT <examples/s> <policy>`.

    python -m bench.xla_cpu_flags.child with --steps 10
"""
import argparse
import statistics
import sys
import tempfile


def main(argv=None) -> None:
    """Builds the probe, applies the flags or not, times `--steps` steps, prints the RESULT line.

    Args:
        argv: `{with,without} [--steps N] [--smoke]`; `sys.argv[1:]` by default.
    """
    from bench.common.bounded_int import bounded_int

    parser = argparse.ArgumentParser(prog="python -m bench.xla_cpu_flags.child", description=__doc__)
    parser.add_argument("setting", choices=("without", "with"))
    parser.add_argument("--steps", type=bounded_int(1), default=10)
    parser.add_argument("--smoke", action="store_true", help="a tiny random BERT instead of MiniLM")
    args = parser.parse_args(argv)

    import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
    from kerasknow.config import RunConfig
    from kerasknow.family.registry import get_task_family

    plan = get_task_family("text-classification").hardware_plan(RunConfig(training={"xla": "on"}))
    if args.setting == "with":
        plan.apply_xla_flags()  # before this process's first XLA compile, as run_fn does
    import tensorflow as tf

    from bench.common.bert_checkpoint import bert_checkpoint
    from bench.common.probe_batches import probe_batches
    from bench.common.probe_model import probe_model
    from bench.common.smoke_eagerly import smoke_eagerly
    from bench.common.step_clock import step_clock

    tf.get_logger().setLevel("ERROR")
    smoke_eagerly(args.smoke)
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        ds, batch = probe_batches("text")
        model = probe_model("text", plan.precision_policy, True, bert_checkpoint(args.smoke, workdir))
        model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)  # untimed: tracing, XLA compiling
        clock = step_clock()
        model.fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0, callbacks=[clock])
    # The median step: fit()'s per-call set-up and the odd disturbed step left out.
    print(f"RESULT {batch / statistics.median(clock.step_seconds):.3f} {plan.precision_policy}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
