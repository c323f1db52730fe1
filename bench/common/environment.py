"""The machine a benchmark ran on, recorded with its figures."""
import importlib.metadata
import os
import platform


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # not Linux: platform's answer is the best there is
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return next((set(line.split(":", 1)[1].split()) for line in f if line.startswith("flags")), set())
    except OSError:
        return set()


def environment() -> dict:
    """The CPU, its cores, the library versions and the load, without importing TensorFlow.

    Returns:
        `cpu` (model name), `cores` (`os.cpu_count()`), `amx_bf16` (whether the CPU has the
        AMX-BF16 units mixed precision relies on), `tensorflow`, `python`, `platform` and
        `load_average` (1, 5 and 15 minutes; the machine may be shared).
    """
    try:
        tensorflow = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        tensorflow = "not installed"
    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "amx_bf16": "amx_bf16" in _cpu_flags(),
            "tensorflow": tensorflow, "python": platform.python_version(), "platform": platform.platform(),
            "load_average": list(os.getloadavg())}
