"""Alternating measurement rounds and their report, shared by the A/B benchmarks."""
import json
import statistics
import sys
from typing import Callable, Dict, List, Sequence


def alternating_rounds(names: Sequence[str], rounds: int, measure: Callable[[str], float]) -> Dict[str, List[float]]:
    """Runs `measure(name)` for every name, `rounds` times, the order flipping every round
    (A B, B A, ...) so load from other jobs hits all alike. Returns each name's rates."""
    rates = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            rates[name].append(measure(name))
        print(f"  round {r + 1}/{rounds}: " + ", ".join(f"{n} {rates[n][-1]:.1f}" for n in names)
              + " examples/s", file=sys.stderr, flush=True)
    return rates


def report_rounds(title: str, rates: Dict[str, List[float]], new: str, old: str) -> List[float]:
    """Prints each name's median rate and the median of the per-round ratios `new / old`;
    returns those ratios."""
    ratios = [n / o for n, o in zip(rates[new], rates[old])]
    print(title)
    for name, values in rates.items():
        print(f"  {name:<14} {statistics.median(values):7.1f} examples/s (median)")
    print(f"  {new} / {old}: {statistics.median(ratios):.2f}x (median of per-round ratios "
          f"{', '.join(f'{x:.2f}' for x in ratios)})")
    return ratios


def write_json(path: str, result: dict) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
