"""Training examples/s of MiniLM under XLA on a CPU, with and without `HardwarePlan`'s XLA flags.

XLA reads `XLA_FLAGS` once per process, so each measurement is a child process; the two
settings alternate round by round (A B, B A, A B, ...) so load from other jobs hits both alike,
and the ratio printed is the median of the per-round ratios. Each child builds the model under
the text family's precision (`mixed_bfloat16` on AMX-BF16 CPUs), compiles it with XLA on fixed
`[16, 128]` synthetic batches, runs two untimed steps, then times `--steps` steps one by one
and reports the median step's examples/s.

    python bench/xla_cpu_flags.py                 # 3 rounds of 10 steps per setting
    python bench/xla_cpu_flags.py --rounds 5 --out bench/results/xla_cpu_flags.json
"""
import argparse
import os
import statistics
import subprocess
import sys

SETTINGS = ("without", "with")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both settings (default 3)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per child (default 10)")
    parser.add_argument("--out", default="", help="Write the results as JSON here.")
    parser.add_argument("--child", choices=SETTINGS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def child(setting: str, steps: int) -> None:
    """One measurement: prints `RESULT <examples/s>`."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
    from kerasknow.config import RunConfig
    from kerasknow.family.registry import get_task_family

    plan = get_task_family("text-classification").hardware_plan(RunConfig(training={"xla": "on"}))
    if setting == "with":
        plan.apply_xla_flags()
    import precision_xla
    import tensorflow as tf
    from step_clock import step_clock

    tf.get_logger().setLevel("ERROR")
    ds, batch = precision_xla.dataset("text")
    model = precision_xla.build("text", plan.precision_policy, True)
    model.fit(ds, steps_per_epoch=2, epochs=1, verbose=0)  # untimed: tracing, XLA compiling
    clock = step_clock()
    model.fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[clock])
    # The median step: fit()'s per-call set-up and the odd disturbed step left out.
    print(f"RESULT {batch / statistics.median(clock.step_seconds):.3f} {plan.precision_policy}", flush=True)


def measure(setting: str, steps: int):
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", setting,
                           "--steps", str(steps)], env=env, capture_output=True, text=True)
    lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the {setting!r} child failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    _, rate, policy = lines[-1].split()
    return float(rate), policy


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        child(args.child, args.steps)
        return
    from kerasknow.training.hardware_plan import CPU_XLA_FLAGS

    from rounds import alternating_rounds, report_rounds, write_json

    policies = []

    def measure_one(setting):
        rate, policy = measure(setting, args.steps)
        policies.append(policy)
        return rate

    rates = alternating_rounds(SETTINGS, args.rounds, measure_one)
    policy = policies[-1]
    ratios = report_rounds(f"MiniLM, batch 16 x 128, {policy} + XLA, {args.rounds} rounds x {args.steps} steps",
                           rates, "with", "without")
    write_json(args.out, {"precision": policy, "flags": list(CPU_XLA_FLAGS), "examples_per_s": rates,
                          "ratio_per_round": ratios, "ratio_median": statistics.median(ratios)})

if __name__ == "__main__":
    main()
