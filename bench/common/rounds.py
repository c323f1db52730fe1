"""Alternating measurement rounds and their report, shared by the A/B benchmarks."""
import statistics
import sys
from typing import Callable, Dict, List, Sequence


def alternating_rounds(names: Sequence[str], rounds: int,
                       measure: Callable[[str], float]) -> Dict[str, List[float]]:
    """Measures every variant `rounds` times, the order flipping every round (A B, B A, ...).

    Load from other jobs on a shared machine then hits all variants alike, and the per-round
    ratios (`report_rounds`) compare measurements taken next to each other.

    Args:
        names: The variants, in the first round's order.
        rounds: How many rounds (>= 1).
        measure: Measures one variant and returns its rate (examples/s).

    Returns:
        Each variant's rates, one per round.

    Raises:
        ValueError: When `rounds` < 1.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1. Received: rounds={rounds}")
    rates = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            rates[name].append(measure(name))
        print(f"  round {r + 1}/{rounds}: " + ", ".join(f"{n} {rates[n][-1]:.1f}" for n in names)
              + " examples/s", file=sys.stderr, flush=True)
    return rates


def report_rounds(title: str, rates: Dict[str, List[float]], new: str, old: str) -> List[float]:
    """Prints each variant's median rate and the median of the per-round ratios `new / old`.

    Args:
        title: The first line printed.
        rates: `alternating_rounds`' result.
        new: The variant on top of the ratio.
        old: The variant below it.

    Returns:
        The per-round ratios `new / old`.
    """
    ratios = [n / o for n, o in zip(rates[new], rates[old])]
    print(title)
    for name, values in rates.items():
        print(f"  {name:<14} {statistics.median(values):7.1f} examples/s (median)")
    print(f"  {new} / {old}: {statistics.median(ratios):.2f}x (median of per-round ratios "
          f"{', '.join(f'{x:.2f}' for x in ratios)})")
    return ratios
