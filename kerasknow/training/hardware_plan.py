"""Chooses the `tf.distribute` strategy, mixed precision and XLA from the hardware."""
import dataclasses
import logging
from typing import Optional

from kerasknow.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class HardwarePlan:
    """What the hardware is and how training uses it.

    Measured on this project's CPUs (2-core AMD EPYC, MiniLM at length 128): mixed bfloat16 and
    XLA changed nothing measurable, so `"auto"` turns both off on CPU. On GPUs of compute
    capability >= 7.0 `"auto"` uses `mixed_float16` (tensor cores); on TPU `mixed_bfloat16` and
    XLA (TPUs always compile). XLA stays off on GPU by default because text batches have dynamic
    shapes and every new shape recompiles; turn it on with `xla: on` together with bucketing.

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
    def detect(cls, mixed_precision: str = "auto", xla: str = "auto", tpu: str = "") -> "HardwarePlan":
        """Looks at the visible devices and resolves the `auto` switches.

        Args:
            mixed_precision: `"auto"`, `"on"` or `"off"`.
            xla: `"auto"`, `"on"` or `"off"`.
            tpu: A TPU address (`grpc://...` or a TPU name); empty for none.

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
            auto_policy, auto_xla = "float32", False
        on_policy = "mixed_bfloat16" if device in ("tpu", "cpu") else "mixed_float16"
        policy = {"auto": auto_policy, "on": on_policy, "off": "float32"}[mixed_precision]
        jit = {"auto": auto_xla, "on": True, "off": False}[xla]
        return cls(device=device, num_devices=count, precision_policy=policy, jit_compile=jit)

    def apply_precision(self) -> None:
        """Sets the global Keras mixed-precision policy (call before building models)."""
        import tensorflow as tf

        tf.keras.mixed_precision.set_global_policy(self.precision_policy)

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


def _gpu_has_tensor_cores() -> Optional[bool]:
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        if capability and capability[0] >= 7:
            return True
    return False
