"""`HardwarePlan`'s XLA flags on and off: MiniLM training examples/s under XLA on a CPU.

XLA reads `XLA_FLAGS` once per process, so each measurement is a child process
(`bench.xla_cpu_flags.child`); the two settings alternate round by round (A B, B A, A B, ...)
so load from other jobs hits both alike, and the ratio reported is the median of the per-round
ratios. Each child builds MiniLM under the text family's precision (`mixed_bfloat16` on
AMX-BF16 CPUs), compiles it with XLA on fixed `[16, 128]` synthetic batches, runs two untimed
steps, then times `--steps` steps one by one and reports the median step's examples/s.

    python -m bench xla_cpu_flags                 # 3 rounds of 10 steps per setting, ~6 min
    python -m bench xla_cpu_flags --rounds 5
"""
import os
import statistics
import subprocess
import sys

from bench.common.bounded_int import bounded_int
from bench.common.rounds import alternating_rounds, report_rounds

FIGURES = ("precision", "flags", "examples_per_s", "ratio_per_round", "ratio_median")
SMOKE = {"rounds": 1, "steps": 2}
SETTINGS = ("without", "with")
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def add_arguments(parser):
    """The options: `--rounds`, `--steps`."""
    parser.add_argument("--rounds", type=bounded_int(1), default=3, help="rounds of both settings")
    parser.add_argument("--steps", type=bounded_int(1), default=10, help="timed training steps per child")


def _measure(setting: str, steps: int, smoke: bool):
    # Without the parent's XLA_FLAGS: the child under "without" must compile with none.
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_REPO, env.get("PYTHONPATH", "")) if p)
    command = [sys.executable, "-m", "bench.xla_cpu_flags.child", setting, "--steps", str(steps)]
    done = subprocess.run(command + (["--smoke"] if smoke else []), env=env, cwd=_REPO,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"The {setting!r} child failed. Expected exit 0 and a RESULT line. Received: exit "
                           f"{done.returncode}, stderr:\n{done.stderr[-3000:]}")
    _, rate, policy = lines[-1].split()
    return float(rate), policy


def run(args, smoke: bool) -> dict:
    """Measures both settings in alternating rounds of child processes.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Children train a tiny random BERT instead of MiniLM.

    Returns:
        The figures: `precision`, `flags` (`CPU_XLA_FLAGS`), `examples_per_s` (per setting, one
        per round), `ratio_per_round` (with / without) and `ratio_median`.
    """
    from kerasknow.training.hardware_plan import CPU_XLA_FLAGS

    policies = []

    def measure(setting):
        rate, policy = _measure(setting, args.steps, smoke)
        policies.append(policy)
        return rate

    rates = alternating_rounds(SETTINGS, args.rounds, measure)
    ratios = report_rounds(f"{'tiny BERT' if smoke else 'MiniLM'}, batch 16 x 128, {policies[-1]} + XLA, "
                           f"{args.rounds} rounds x {args.steps} steps", rates, "with", "without")
    return {"precision": policies[-1], "flags": list(CPU_XLA_FLAGS), "examples_per_s": rates,
            "ratio_per_round": ratios, "ratio_median": statistics.median(ratios)}


def tables(results) -> dict:
    """docs/performance.md's table `xla_cpu_flags`, from result `xla_cpu_flags` (when it exists)."""
    figures = results.figures("xla_cpu_flags")
    if figures is None:
        return {}
    rates = {setting: statistics.median(figures["examples_per_s"][setting]) for setting in SETTINGS}
    rounds = ", ".join(f"{r:.2f}" for r in figures["ratio_per_round"])
    precision = figures["precision"].replace("mixed_", "")
    return {"xla_cpu_flags": "\n".join([
        f"| MiniLM, {precision} + XLA | without flags | with `CPU_XLA_FLAGS` | ratio (per round) |",
        "|---|---|---|---|",
        f"| batch 16 x 128, median step | {rates['without']:.1f} ex/s | {rates['with']:.1f} ex/s "
        f"| **{figures['ratio_median']:.2f}x** ({rounds}) |"])}
