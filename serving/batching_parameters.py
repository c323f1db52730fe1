"""TF Serving's server-side batching settings, as `--batching_parameters_file` holds them."""
import dataclasses
import os
from typing import Tuple

from google.protobuf import text_format

from kerasknow.errors import ConfigError
from kerasknow.serving.serving_protos import message_class

# TF Serving's BasicBatchScheduler defaults for a field the file leaves out.
DEFAULT_MAX_BATCH_SIZE = 1000
DEFAULT_MAX_ENQUEUED_BATCHES = 10


@dataclasses.dataclass(frozen=True)
class BatchingParameters:
    """The fields of TF Serving's `BatchingParameters` the development server honours.

    Args:
        max_batch_size: The most rows one batched call runs; a larger request is split into
            pieces of this size (TF Serving's large-batch splitting).
        batch_timeout_micros: How long the first request of a batch waits for others to join.
        max_enqueued_batches: Batches that may wait; a request finding the queue full is
            answered UNAVAILABLE, as TF Serving does.
        num_batch_threads: Threads running batches (0: one per CPU core, TF Serving's default).
        allowed_batch_sizes: When given, a batch is padded up to the next allowed size (the last
            must equal `max_batch_size`).
        pad_variable_length_inputs: Pad inputs of different inner sizes (with zeros or empty
            strings) so they batch together.

    Raises:
        ConfigError: For a value TF Serving would refuse.

    Example:

    >>> params = BatchingParameters.from_text("max_batch_size { value: 16 } batch_timeout_micros { value: 2000 }")
    >>> params.max_batch_size, params.batch_timeout_micros
    (16, 2000)
    """

    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = DEFAULT_MAX_ENQUEUED_BATCHES
    num_batch_threads: int = 0
    allowed_batch_sizes: Tuple[int, ...] = ()
    pad_variable_length_inputs: bool = False

    def __post_init__(self):
        for name in ("max_batch_size", "max_enqueued_batches"):
            if getattr(self, name) < 1:
                raise ConfigError(f"batching parameter {name} must be >= 1. Received: {name}={getattr(self, name)}.")
        for name in ("batch_timeout_micros", "num_batch_threads"):
            if getattr(self, name) < 0:
                raise ConfigError(f"batching parameter {name} must be >= 0. Received: {name}={getattr(self, name)}.")
        sizes = list(self.allowed_batch_sizes)
        if sizes and (sizes != sorted(set(sizes)) or sizes[-1] != self.max_batch_size or sizes[0] < 1):
            raise ConfigError("allowed_batch_sizes must be increasing and end with max_batch_size "
                              f"({self.max_batch_size}). Received: allowed_batch_sizes={sizes}.")

    @property
    def threads(self) -> int:
        """`num_batch_threads`, or one per CPU core when it is 0."""
        return self.num_batch_threads or (os.cpu_count() or 1)

    @classmethod
    def from_proto(cls, proto) -> "BatchingParameters":
        def value(name: str, default: int) -> int:
            return int(getattr(proto, name).value) if proto.HasField(name) else default

        return cls(max_batch_size=value("max_batch_size", DEFAULT_MAX_BATCH_SIZE),
                   batch_timeout_micros=value("batch_timeout_micros", 0),
                   max_enqueued_batches=value("max_enqueued_batches", DEFAULT_MAX_ENQUEUED_BATCHES),
                   num_batch_threads=value("num_batch_threads", 0),
                   allowed_batch_sizes=tuple(int(s) for s in proto.allowed_batch_sizes),
                   pad_variable_length_inputs=bool(proto.pad_variable_length_inputs))

    @classmethod
    def from_text(cls, text: str, source: str = "the batching parameters") -> "BatchingParameters":
        """Parses `BatchingParameters` text format.

        Raises:
            ConfigError: For text that does not parse, naming `source`.
        """
        try:
            proto = text_format.Parse(text, message_class("BatchingParameters")())
        except text_format.ParseError as e:
            raise ConfigError(f"{source} is not a tensorflow.serving.BatchingParameters text proto: {e}. "
                              "Expected lines like `max_batch_size { value: 32 }`.") from None
        return cls.from_proto(proto)

    @classmethod
    def from_file(cls, path: str) -> "BatchingParameters":
        """Reads a `--batching_parameters_file`.

        Raises:
            ConfigError: For a missing file or one that does not parse.
        """
        import tensorflow as tf

        if not tf.io.gfile.exists(path):
            raise ConfigError(f"The batching parameters file does not exist. Received: --batching-parameters-file "
                              f"{path!r}.")
        with tf.io.gfile.GFile(path, "r") as f:
            return cls.from_text(f.read(), source=path)


def batching_file_text(max_batch_size: int, batch_timeout_micros: int, num_batch_threads: int = 0,
                       max_enqueued_batches: int = 0) -> str:
    """The text of a `--batching_parameters_file`; a 0 thread or queue count is left out (TF
    Serving then uses one thread per core and 10 batches).

    Example:

    >>> print(batching_file_text(32, 2000), end="")
    max_batch_size {
      value: 32
    }
    batch_timeout_micros {
      value: 2000
    }
    """
    proto = message_class("BatchingParameters")()
    proto.max_batch_size.value = max_batch_size
    proto.batch_timeout_micros.value = batch_timeout_micros
    if num_batch_threads:
        proto.num_batch_threads.value = num_batch_threads
    if max_enqueued_batches:
        proto.max_enqueued_batches.value = max_enqueued_batches
    return text_format.MessageToString(proto)
