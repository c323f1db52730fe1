"""The development server's limits on what one request may ask for."""
import dataclasses

from kerasknow.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class ServerLimits:
    """What one request may carry, and how many may wait; a request over a limit is answered
    INVALID_ARGUMENT (gRPC) / 400 (REST) with the limit and its flag, and the server carries on.

    `tensorflow_model_server` has no such limits (its gRPC message limit is 2 GiB); these keep a
    development server on a laptop answering when a client sends too much.

    Args:
        max_request_bytes: The largest request message or REST body (`--max-request-bytes`).
        max_request_batch: The most rows (dimension 0) one input of one request may have
            (`--max-request-batch`); also bounds what a shape may declare before anything is
            allocated.
        max_json_depth: REST: the deepest nesting of JSON arrays and objects (`--max-json-depth`).
        max_queued_requests: Requests in flight or waiting beyond this are refused at once with
            RESOURCE_EXHAUSTED (gRPC) / 429 (REST) instead of queueing without bound
            (`--max-queued-requests`).

    Raises:
        ConfigError: For a limit below 1.
    """

    max_request_bytes: int = 64 * 2**20
    max_request_batch: int = 1024
    max_json_depth: int = 32
    max_queued_requests: int = 64

    FLAGS = {"max_request_bytes": "--max-request-bytes", "max_request_batch": "--max-request-batch",
             "max_json_depth": "--max-json-depth", "max_queued_requests": "--max-queued-requests"}
    HELP = {"max_request_bytes": "largest request message or REST body",
            "max_request_batch": "most rows one input of one request may have",
            "max_json_depth": "deepest JSON nesting of a REST body",
            "max_queued_requests": "requests in flight or waiting before more are refused"}

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{self.FLAGS[field.name]} must be an integer >= 1. "
                                  f"Received: {field.name}={value!r}.")
