"""Checks a benchmark's figures are well-formed before they are written."""
import math
from typing import Iterable


def _non_finite(value, where: str):
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            yield f"{where}={value!r}"
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _non_finite(item, f"{where}[{i}]")


def check_figures(figures: dict, required: Iterable[str]) -> None:
    """Raises unless `figures` has every required key and every number in it is finite.

    Args:
        figures: What a benchmark's `run` returned.
        required: The keys its figures must have (its `FIGURES`).

    Raises:
        ValueError: Naming the missing keys or the non-finite numbers (`key.sub[0]=nan`).
    """
    if not isinstance(figures, dict):
        raise ValueError(f"A benchmark must return its figures as a dict. Received: {type(figures).__name__}")
    missing = [key for key in required if key not in figures]
    if missing:
        raise ValueError(f"The figures lack {missing}. Expected keys {list(required)}. "
                         f"Received: keys {sorted(figures)}")
    bad = list(_non_finite(figures, "figures"))
    if bad:
        raise ValueError(f"Expected finite numbers in the figures. Received: {', '.join(bad[:10])}")
