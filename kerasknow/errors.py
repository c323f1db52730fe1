"""kerasknow's error types.

Each subclasses a built-in so callers can catch what they already expect (`ValueError` for bad
input, `ImportError` for a missing extra). Messages say what was expected, what was received
(`Received: x=...`) and how to fix it.
"""


class KerasknowError(Exception):
    """Base class of every kerasknow error."""


class ConfigError(KerasknowError, ValueError):
    """A configuration value or argument is invalid."""


class DataError(KerasknowError, ValueError):
    """Knowledge data cannot be read or has too many unusable records."""


class KnowledgeValidationError(KerasknowError, RuntimeError):
    """Knowledge validation found error-severity problems; the report says which."""

    def __init__(self, message: str, report_path: str = ""):
        super().__init__(message)
        self.report_path = report_path


class BlessingError(KerasknowError, RuntimeError):
    """A model failed its blessing thresholds and was not pushed."""


class PreflightError(KerasknowError, RuntimeError):
    """The preflight found that TF Serving would not load or answer the model; nothing was pushed."""

    def __init__(self, message: str, report_path: str = ""):
        super().__init__(message)
        self.report_path = report_path


class MissingDependencyError(KerasknowError, ImportError):
    """An optional dependency is missing; the message has the install line."""


def require(module: str, pip_name: str, feature: str):
    """Imports an optional dependency or raises `MissingDependencyError` with the fix.

    Args:
        module: The module to import, e.g. `"tensorflow_serving.apis"`.
        pip_name: The distribution that provides it, e.g. `"tensorflow-serving-api"`.
        feature: What needs it, for the message.

    Returns:
        The imported module.

    Raises:
        MissingDependencyError: When the module cannot be imported.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(
            f"{feature} needs the `{pip_name}` package, which is not installed "
            f"(Received: {e}). Fix: pip install '{pip_name}' (or run `bash tools/setup_env.sh`)."
        ) from e
