"""TF Serving's REST API (`--rest_api_port`, 8501 in production) over `RequestHandlers`.

- `GET /v1/models/NAME[/versions/V|/labels/L]`: version status (GetModelStatus as JSON).
- `GET /v1/models/NAME[/versions/V|/labels/L]/metadata`: signatures (GetModelMetadata as JSON).
- `POST /v1/models/NAME[/versions/V|/labels/L]:predict`: `instances` or `inputs` (`rest_json`).
- `GET /monitoring/prometheus/metrics` (or the monitoring config's path): `ServerMetrics`.

Errors are `{"error": "<message>"}` with the HTTP status TF Serving maps each gRPC code to. A
body over `ServerLimits.max_request_bytes`, JSON nested deeper than `max_json_depth`, or a
compressed body (`Content-Encoding`, a gzip bomb risk) is refused before it is decoded.
"""
import http.server
import json
import logging
import re
import threading
from typing import Optional, Tuple

import grpc
from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from kerasknow.serving.predict_request import RequestAbort
from kerasknow.serving.rest_json import json_depth, predict_request_from_json, predict_response_to_json
from kerasknow.serving.server_limits import ServerLimits

logger = logging.getLogger("kerasknow.serving.model_server")

DEFAULT_METRICS_PATH = "/monitoring/prometheus/metrics"
_MODEL_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[0-9]+)|/labels/(?P<label>[^/:]+))?"
    r"(?P<suffix>/metadata|:[a-zA-Z]+)?/?$")
# TF Serving's ToHTTPStatusCode.
_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.FAILED_PRECONDITION: 400, grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.ALREADY_EXISTS: 409, grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429, grpc.StatusCode.UNIMPLEMENTED: 501, grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class RestApi:
    """An HTTP server answering TF Serving's REST API on 127.0.0.1 (or `host`).

    Args:
        handlers: The `RequestHandlers` (the same the gRPC API uses).
        host: The interface to bind.
        port: The port; 0 picks a free one.
        limits: The `ServerLimits` bodies are held to (default: the handlers').
        metrics_path: Where the Prometheus metrics are served; None serves none.
    """

    def __init__(self, handlers, host: str, port: int, limits: Optional[ServerLimits] = None,
                 metrics_path: Optional[str] = DEFAULT_METRICS_PATH):
        self.handlers = handlers
        self.host = host
        self.requested_port = port
        self.limits = limits or handlers.limits
        self.metrics_path = metrics_path
        self.port: Optional[int] = None
        self._server: Optional[http.server.ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._slots = threading.BoundedSemaphore(self.limits.max_queued_requests)

    def start(self) -> int:
        """Binds and starts serving in a thread.

        Returns:
            The bound port.

        Raises:
            OSError: When the address cannot be bound.
        """
        api = self

        class Handler(_RestHandler):
            rest = api

        try:
            server = http.server.ThreadingHTTPServer((self.host, self.requested_port), Handler)
        except OSError as e:
            raise OSError(f"Cannot bind the development server's REST API to {self.host}:{self.requested_port} "
                          f"({e.strerror or e}). Fix: free the port or pick another with --rest-port (0 = any "
                          "free port).") from e
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="devserve-rest", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stops serving. Idempotent."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # ---------------------------------------------------------------------------- answers

    def answer(self, method: str, path: str, headers, read_body) -> Tuple[int, str, bytes]:
        """`(status, content type, body)` for one HTTP request; never raises."""
        if not self._slots.acquire(blocking=False):
            return _error(429, f"Too many requests in flight (more than {self.limits.max_queued_requests}, "
                               f"{ServerLimits.FLAGS['max_queued_requests']}); retry later.")
        try:
            return self._answer(method, path.split("?", 1)[0], headers, read_body)
        except RequestAbort as e:
            logger.info("REST %s answered %s.", method, e.code.name)
            return _error(_HTTP_STATUS.get(e.code, 500), e.message)
        except Exception as e:  # noqa: BLE001  (a request must never take the server down)
            logger.exception("REST %s failed", method)
            return _error(500, f"Internal error: {type(e).__name__}")
        finally:
            self._slots.release()

    def _answer(self, method: str, path: str, headers, read_body) -> Tuple[int, str, bytes]:
        if self.metrics_path and path == self.metrics_path and method == "GET":
            text = self.handlers.metrics.render(self.handlers.models) if self.handlers.metrics else ""
            return 200, "text/plain; version=0.0.4", text.encode("utf-8")
        match = _MODEL_PATH.match(path)
        if not match:
            return _error(404, f"Malformed request: {method} {path}")
        spec = model_pb2.ModelSpec(name=match["name"])
        if match["version"]:
            spec.version.value = int(match["version"])
        elif match["label"]:
            spec.version_label = match["label"]
        suffix = match["suffix"] or ""
        if method == "GET" and suffix in ("", "/metadata"):
            return self._get(spec, suffix)
        if method == "POST" and suffix == ":predict":
            return self._predict(spec, headers, read_body)
        if method == "POST" and suffix in (":classify", ":regress"):
            return _error(501, f"{suffix[1:]} is not implemented by the development server (Predict only).")
        return _error(404, f"Malformed request: {method} {path}")

    def _get(self, spec, suffix: str) -> Tuple[int, str, bytes]:
        if suffix == "/metadata":
            request = get_model_metadata_pb2.GetModelMetadataRequest(model_spec=spec, metadata_field=["signature_def"])
            response = self.handlers.get_model_metadata(request, entrypoint="REST")
        else:
            request = get_model_status_pb2.GetModelStatusRequest(model_spec=spec)
            response = self.handlers.get_model_status(request, entrypoint="REST")
        answer = json_format.MessageToDict(response, including_default_value_fields=True,
                                           preserving_proto_field_name=True)
        for packed in answer.get("metadata", {}).values():
            packed.pop("@type", None)  # TF Serving's REST answer shows the SignatureDefMap unwrapped
        return _json(200, answer)

    def _predict(self, spec, headers, read_body) -> Tuple[int, str, bytes]:
        def answer(resolved):
            body = self._read_json(headers, read_body)
            servable = self.handlers.model(spec.name).resolve(spec)
            signature = body.get("signature_name", "") if isinstance(body, dict) else ""
            if not isinstance(signature, str):
                raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, "'signature_name' must be a string.")
            _, sig_def, _ = servable.signature(signature)
            pinned = model_pb2.ModelSpec(name=spec.name, signature_name=signature)
            pinned.version.value = servable.version  # the version the JSON was decoded for
            request, row_format = predict_request_from_json(body, sig_def, pinned)
            return predict_response_to_json(self.handlers.answer_predict(request, resolved), row_format)

        return _json(200, self.handlers.measured("predict", "REST", spec.name, answer))

    def _read_json(self, headers, read_body):
        encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT,
                               f"Content-Encoding {encoding} is not accepted (a compressed body can expand "
                               "without bound); send the JSON uncompressed.")
        length = headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, "A predict request needs a Content-Length header.")
        length = int(length)
        if length > self.limits.max_request_bytes:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT,
                               f"The request body is {length} bytes, over this server's limit of "
                               f"{self.limits.max_request_bytes} bytes ({ServerLimits.FLAGS['max_request_bytes']}).")
        raw = read_body(length)
        try:
            body = json.loads(raw)
        except RecursionError:
            body = None
        except (ValueError, UnicodeDecodeError) as e:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT, f"The request body is not valid JSON: {e}.") from None
        if body is None or json_depth(body) > self.limits.max_json_depth:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT,
                               f"The request JSON is nested deeper than this server's limit of "
                               f"{self.limits.max_json_depth} levels ({ServerLimits.FLAGS['max_json_depth']}).")
        return body


def _json(status: int, value) -> Tuple[int, str, bytes]:
    return status, "application/json", json.dumps(value).encode("utf-8")


def _error(status: int, message: str) -> Tuple[int, str, bytes]:
    return _json(status, {"error": message})


class _RestHandler(http.server.BaseHTTPRequestHandler):
    rest: RestApi = None  # set by RestApi.start
    protocol_version = "HTTP/1.1"

    def _reply(self, method: str) -> None:
        consumed = []

        def read_body(length: int) -> bytes:
            consumed.append(length)
            return self.rfile.read(length)

        status, content_type, body = self.rest.answer(method, self.path, self.headers, read_body)
        declared = self.headers.get("Content-Length")
        if method == "POST" and not consumed and declared:
            self.close_connection = True  # an unread (e.g. oversize) body must not be parsed as the next request
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's method names)
        self._reply("GET")

    def do_POST(self):  # noqa: N802
        self._reply("POST")

    def log_message(self, format, *args):  # noqa: A002  (no request lines, i.e. no user data, in the log)
        logger.debug("REST: " + format, *args)
