"""Chooses the `tf.distribute` strategy, mixed precision and XLA from the hardware."""
import contextlib
import dataclasses
import logging
import os
from typing import Iterator, MutableMapping, Optional, Sequence, Tuple

from kerasknow.errors import ConfigError

logger = logging.getLogger(__name__)

#: XLA flags for training compiled on a CPU, measured on MiniLM (docs/performance.md): XLA's
#: CPU pipeline rewrites every long reduction (bias and LayerNorm gradients over batch x
#: length, softmax sums) into a `reduce-window` that its code generator emits as slow scalar
#: loops, about a fifth of a training step. Without that rewrite, and with fast math limited to
#: reassociation and contraction (NaN, Inf, division and library functions honoured) so the
#: plain reductions vectorise, a step ran 1.10x faster (bench/xla_cpu_flags.py). Only the
#: summation order changes; sums stay float32.
CPU_XLA_FLAGS: Tuple[str, ...] = (
    "--xla_disable_hlo_passes=tree_reduction_rewriter",
    "--xla_cpu_enable_fast_math=true",
    "--xla_cpu_fast_math_honor_nans=true",
    "--xla_cpu_fast_math_honor_infs=true",
    "--xla_cpu_fast_math_honor_division=true",
    "--xla_cpu_fast_math_honor_functions=true",
)


@contextlib.contextmanager
def keeping_global_policy() -> Iterator[None]:
    """Gives the process its global Keras mixed-precision policy back when the block ends.

    The Tuner and Trainer steps set the policy for the whole process (`HardwarePlan.apply`), and
    every local orchestrator runs them in the caller's process: `LocalDagRunner`, the Kubeflow V2
    entrypoint called in-process, a notebook. A later float32 model of that process would
    otherwise compute in bfloat16. The steps' executors run inside this block.

    Example:

    >>> import tensorflow as tf
    >>> with keeping_global_policy():
    ...     tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    >>> tf.keras.mixed_precision.global_policy().name
    'float32'
    """
    import tensorflow as tf

    policy = tf.keras.mixed_precision.global_policy()
    try:
        yield
    finally:
        tf.keras.mixed_precision.set_global_policy(policy)


@dataclasses.dataclass
class HardwarePlan:
    """What the hardware is and how training uses it.

    `"auto"` picks what measured faster for the model family (docs/performance.md):

    - TPU: `mixed_bfloat16` and XLA (TPUs always compile).
    - GPU of compute capability >= 7.0: `mixed_float16` (tensor cores); XLA off, because text
      batches have dynamic shapes and every new shape recompiles (`xla: on` to force it).
    - CPU: float32 and no XLA, unless the family says its models gain from them
      (`cpu_bfloat16`, `cpu_xla`). On a CPU with AMX-BF16 (Intel Xeon 4th gen and later) MiniLM
      training ran 2.1x faster under `mixed_bfloat16` and 1.7x faster with XLA on fixed shapes
      (2.6x with both); MobileNetV2 ran 2x slower under bfloat16 and 12x slower with XLA. Without
      AMX, bfloat16 is emulated and slow, so it stays off.

    When XLA compiles on a CPU the plan also sets `CPU_XLA_FLAGS` in `XLA_FLAGS` (`apply()`),
    which made a MiniLM training step 1.10x faster (`bench/xla_cpu_flags.py`), and BERT
    models use `HashDropout` (`hash_dropout`), 1.18x faster still (`bench/hash_dropout.py`).

    Args:
        device: `"cpu"`, `"gpu"` or `"tpu"`.
        num_devices: How many of them training uses.
        precision_policy: A Keras mixed-precision policy name (`"float32"`, `"mixed_float16"`,
            `"mixed_bfloat16"`).
        jit_compile: Whether models compile with XLA.
    """

    device: str
    num_devices: int
    precision_policy: str
    jit_compile: bool

    @classmethod
    def detect(cls, mixed_precision: str = "auto", xla: str = "auto", tpu: str = "",
               cpu_bfloat16: bool = False, cpu_xla: bool = False) -> "HardwarePlan":
        """Looks at the visible devices and resolves the `auto` switches.

        Args:
            mixed_precision: `"auto"`, `"on"` or `"off"`.
            xla: `"auto"`, `"on"` or `"off"`.
            tpu: A TPU address (`grpc://...` or a TPU name); empty for none.
            cpu_bfloat16: Whether `"auto"` may pick `mixed_bfloat16` on a CPU with AMX-BF16
                (the model family gains from it).
            cpu_xla: Whether `"auto"` turns XLA on on a CPU (the family's input shapes are a
                small fixed set, and its models gain from it).

        Returns:
            A `HardwarePlan`.

        Raises:
            ConfigError: For a switch value other than auto/on/off.
        """
        import tensorflow as tf

        for name, value in (("mixed_precision", mixed_precision), ("xla", xla)):
            if value not in ("auto", "on", "off"):
                raise ConfigError(f"{name} must be 'auto', 'on' or 'off'. Received: {name}={value!r}")
        if tpu:
            device, count = "tpu", 0
        else:
            gpus = tf.config.list_physical_devices("GPU")
            device, count = ("gpu", len(gpus)) if gpus else ("cpu", 1)
        if device == "tpu":
            auto_policy, auto_xla = "mixed_bfloat16", True
        elif device == "gpu":
            auto_policy, auto_xla = ("mixed_float16" if _gpu_has_tensor_cores() else "float32"), False
        else:
            auto_policy = "mixed_bfloat16" if cpu_bfloat16 and cpu_has_amx_bf16() else "float32"
            auto_xla = bool(cpu_xla)
        on_policy = "mixed_bfloat16" if device in ("tpu", "cpu") else "mixed_float16"
        policy = {"auto": auto_policy, "on": on_policy, "off": "float32"}[mixed_precision]
        jit = {"auto": auto_xla, "on": True, "off": False}[xla]
        return cls(device=device, num_devices=count, precision_policy=policy, jit_compile=jit)

    @property
    def xla_on_cpu(self) -> bool:
        """Whether XLA compiles on a CPU: where `xla_flags` and `hash_dropout` were measured."""
        return self.jit_compile and self.device == "cpu"

    @property
    def xla_flags(self) -> Tuple[str, ...]:
        """The `XLA_FLAGS` this plan trains with: `CPU_XLA_FLAGS` when XLA compiles on a CPU."""
        return CPU_XLA_FLAGS if self.xla_on_cpu else ()

    @property
    def hash_dropout(self) -> bool:
        """Whether BERT models replace Keras' dropout by `HashDropout`: when XLA compiles on a
        CPU, where a MiniLM step ran 1.18x faster with it (`bench/hash_dropout.py`). Not
        measured on GPUs and TPUs, so left off there."""
        return self.xla_on_cpu

    def apply(self) -> None:
        """Applies the plan to this process: `apply_precision()` and `apply_xla_flags()`."""
        self.apply_precision()
        self.apply_xla_flags()

    def apply_precision(self) -> None:
        """Sets the global Keras mixed-precision policy (call before building models)."""
        import tensorflow as tf

        tf.keras.mixed_precision.set_global_policy(self.precision_policy)

    def apply_xla_flags(self, environ: Optional[MutableMapping[str, str]] = None) -> str:
        """Adds the plan's `xla_flags` to the `XLA_FLAGS` environment variable.

        XLA reads `XLA_FLAGS` once, at the first XLA compilation in the process, so call this
        before any model compiles (`run_fn` and `tuner_fn` do). A flag the user already set
        in `XLA_FLAGS` is left as the user set it.

        Args:
            environ: The environment to update; `os.environ` by default.

        Returns:
            The resulting `XLA_FLAGS` value.
        """
        environ = os.environ if environ is None else environ
        current = environ.get("XLA_FLAGS", "")
        merged = merge_xla_flags(current, self.xla_flags)
        if merged != current:
            environ["XLA_FLAGS"] = merged
            logger.info("XLA_FLAGS=%s (takes effect if nothing was XLA-compiled earlier in this "
                        "process)", merged)
        return merged

    def strategy(self, tpu: str = ""):
        """The `tf.distribute` strategy for this hardware.

        TPUStrategy when a TPU address is given, MirroredStrategy on several GPUs, and the
        default (single-device) strategy otherwise.
        """
        import tensorflow as tf

        if self.device == "tpu":
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        if self.device == "gpu" and self.num_devices > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()

    def describe(self) -> str:
        return (f"{self.num_devices or ''} {self.device.upper()}".strip()
                + f", precision {self.precision_policy}, XLA {'on' if self.jit_compile else 'off'}")


def merge_xla_flags(current: str, wanted: Sequence[str]) -> str:
    """`current` (an `XLA_FLAGS` value) plus each `--name=value` of `wanted` it does not set.

    >>> merge_xla_flags("--xla_cpu_enable_fast_math=false", ["--xla_cpu_enable_fast_math=true",
    ...                 "--xla_cpu_fast_math_honor_nans=true"])
    '--xla_cpu_enable_fast_math=false --xla_cpu_fast_math_honor_nans=true'
    """
    given = {flag.split("=", 1)[0] for flag in current.split()}
    added = [flag for flag in wanted if flag.split("=", 1)[0] not in given]
    return " ".join(current.split() + added)


def cpu_has_amx_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU has AMX with bfloat16 tiles (Linux `/proc/cpuinfo` flag `amx_bf16`)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "amx_bf16" in line.split()
    except OSError:
        pass  # not Linux: no way to tell cheaply, so assume no AMX
    return False


def _gpu_has_tensor_cores() -> Optional[bool]:
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        if capability and capability[0] >= 7:
            return True
    return False
