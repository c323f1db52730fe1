"""TF Serving's gRPC services (`PredictionService`, `ModelService`) over `RequestHandlers`."""
import concurrent.futures
import logging
from typing import Optional

import grpc
from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

from kerasknow.serving.predict_request import RequestAbort

logger = logging.getLogger("kerasknow.serving.model_server")

# tensorflow_model_server lifts gRPC's 4 MiB default so batches of images fit in one request.
MAX_MESSAGE_BYTES = 2**31 - 1


class GrpcApi:
    """A gRPC server answering TF Serving's Predict, GetModelMetadata and GetModelStatus.

    Classify, Regress, MultiInference and HandleReloadConfigRequest answer UNIMPLEMENTED, as
    the generated base classes do.

    Args:
        handlers: The `RequestHandlers` that answer the calls.
        host: The interface to bind.
        port: The port; 0 picks a free one.
        max_workers: Handler threads.
        max_message_bytes: The largest request or response message gRPC itself accepts (TF
            Serving: 2 GiB - 1); the handlers answer INVALID_ARGUMENT below that.
        max_concurrent_rpcs: Calls in flight or waiting beyond this get RESOURCE_EXHAUSTED at
            once (None: unbounded, as gRPC's default).
    """

    def __init__(self, handlers, host: str, port: int, max_workers: int = 16,
                 max_message_bytes: int = MAX_MESSAGE_BYTES, max_concurrent_rpcs: Optional[int] = None):
        self.handlers = handlers
        self.host = host
        self.requested_port = port
        self.max_workers = max_workers
        self.max_message_bytes = max_message_bytes
        self.max_concurrent_rpcs = max_concurrent_rpcs
        self.port: Optional[int] = None
        self._server: Optional[grpc.Server] = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port if self.port is not None else self.requested_port}"

    def start(self) -> int:
        """Binds and starts the server.

        Returns:
            The bound port.

        Raises:
            OSError: When the address cannot be bound (e.g. the port is in use).
        """
        options = [
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            # Without this a second server could silently share the port on Linux.
            ("grpc.so_reuseport", 0),
        ]
        server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="devserve"),
            options=options,
            maximum_concurrent_rpcs=self.max_concurrent_rpcs,
        )
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(_PredictionServicer(self.handlers), server)
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(_ModelServicer(self.handlers), server)
        address = self.address
        try:
            port = server.add_insecure_port(address)
        except RuntimeError as e:
            raise OSError(
                f"Cannot bind the development server to {address} ({e}). Fix: free the port or "
                "pick another with --port (0 = any free port)."
            ) from e
        if not port:
            raise OSError(f"Cannot bind the development server to {address}. Fix: free the port or pick another "
                          "with --port (0 = any free port).")
        server.start()
        self._server = server
        self.port = port
        return port

    def stop(self, grace: Optional[float] = 1.0) -> None:
        """Stops accepting calls; in-flight ones get `grace` seconds. Idempotent."""
        if self._server is not None:
            self._server.stop(grace).wait(timeout=(grace or 0) + 5.0)
            self._server = None

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Blocks until the server stops; True when `timeout` passed first."""
        server = self._server
        if server is None:
            return False
        return bool(server.wait_for_termination(timeout))


def _call(handler, request, context):
    try:
        return handler(request)
    except RequestAbort as e:
        # No user data in the log by default: the message can quote what the request held.
        logger.info("%s for model %r answered %s.", type(request).__name__, request.model_spec.name, e.code.name)
        logger.debug("%s message: %s", e.code.name, e.message)
        context.abort(e.code, e.message)


class _PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, handlers):
        self._handlers = handlers

    def Predict(self, request, context):  # noqa: N802 (gRPC method name)
        return _call(self._handlers.predict, request, context)

    def GetModelMetadata(self, request, context):  # noqa: N802
        return _call(self._handlers.get_model_metadata, request, context)


class _ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    def __init__(self, handlers):
        self._handlers = handlers

    def GetModelStatus(self, request, context):  # noqa: N802
        return _call(self._handlers.get_model_status, request, context)
