"""Order statistics of `(value, count)` histograms: what the knowledge checks keep instead of every value."""
from typing import Dict, Iterable, Tuple


def nth_value(histogram: Iterable[Tuple[int, int]], index: int) -> int:
    """The `index`-th (0-based) value of the sorted values a sorted `(value, count)` histogram holds.

    >>> nth_value([(3, 2), (7, 1)], 2)
    7

    Raises:
        IndexError: When the histogram holds no more than `index` values.
    """
    seen = 0
    for value, count in histogram:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def histogram_median(histogram: Dict[int, int]) -> float:
    """`np.median` of the values a `value -> count` histogram holds.

    >>> histogram_median({28: 3, 32: 1}), histogram_median({28: 1, 32: 1})
    (28.0, 30.0)
    """
    items = sorted((int(v), c) for v, c in histogram.items())
    n = sum(c for _, c in items)
    if n % 2:
        return float(nth_value(items, n // 2))
    return (nth_value(items, n // 2 - 1) + nth_value(items, n // 2)) / 2
