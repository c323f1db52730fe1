"""The error a TF Serving server answered a request with."""
from kerasknow.errors import KerasknowError


class ServingError(KerasknowError, RuntimeError):
    """A TF Serving (or `DevModelServer`) gRPC call failed with a status from the server.

    The message carries the server's own message unchanged, so what `tensorflow_model_server`
    says (e.g. `input tensor alias not found in signature: ...`) reaches the user.

    Args:
        message: The full message.
        code: The gRPC status code name, e.g. `"NOT_FOUND"` or `"INVALID_ARGUMENT"`.
        details: The server's message alone.

    Example:

    >>> err = ServingError("localhost:8500 answered NOT_FOUND: ...", "NOT_FOUND", "...")
    >>> err.code
    'NOT_FOUND'
    """

    def __init__(self, message: str, code: str = "UNKNOWN", details: str = ""):
        super().__init__(message)
        self.code = code
        self.details = details
