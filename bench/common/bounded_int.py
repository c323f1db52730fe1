"""An argparse type for integers in a range, so a bad option fails while parsing."""
import argparse
from typing import Callable, Optional


def bounded_int(low: int, high: Optional[int] = None) -> Callable[[str], int]:
    """An argparse `type=` accepting integers in `[low, high]` (no upper bound when `high` is None).

    Args:
        low: The smallest value accepted.
        high: The largest value accepted, or None.

    Returns:
        A function from the option's text to its int; it raises `argparse.ArgumentTypeError`
        (argparse reports it with the option's name) for anything else.
    """
    expected = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {expected}. Received: {text!r}")
        return value

    parse.__name__ = expected  # argparse names the type in its message
    return parse
