"""What a trivial predictor scores: the bar a model must clear to be worth serving."""
import collections
import dataclasses
from typing import Iterable, List, Sequence


@dataclasses.dataclass(frozen=True)
class Baseline:
    """The scores of a trivial predictor on the eval split.

    Args:
        name: The predictor behind `accuracy`, e.g. `"majority class ('sport')"` or `"all-O tagger"`.
        accuracy: Its accuracy (token accuracy for NER).
        f1: The f1 of the predictor named `f1_name` (the best chance predictor on macro-F1; 0 for the
            all-O tagger).
        f1_name: The predictor behind `f1`.

    Example:

    >>> b = classification_baseline(["a", "a", "a", "b"])
    >>> b.name, b.accuracy, round(b.f1, 3)
    ("majority class ('a')", 0.75, 0.5)
    """

    name: str
    accuracy: float
    f1: float
    f1_name: str = "chance"


def classification_baseline(y_true: Sequence[str]) -> Baseline:
    """The majority-class predictor's accuracy, and the best chance macro-F1 over the labels present.

    Macro-F1 (over the K labels in `y_true`, as `classification_metrics` averages) of: always the
    majority class (its F1 2p/(1+p), the others 0), guessing in proportion to the label shares
    (each label's F1 is its share: 1/K in all), and guessing uniformly (2p/(Kp+1) per label).

    Raises:
        ValueError: For no labels.
    """
    if not len(y_true):
        raise ValueError("A baseline needs at least one eval label. Received: y_true=[]")
    counts = collections.Counter(y_true)
    total = sum(counts.values())
    top, top_count = counts.most_common(1)[0]
    shares = [n / total for n in counts.values()]
    k = len(shares)
    p_top = top_count / total
    majority_f1 = 2 * p_top / (1 + p_top) / k
    uniform_f1 = sum(2 * p / (k * p + 1) for p in shares) / k
    return Baseline(f"majority class ({top!r})", top_count / total, max(majority_f1, 1.0 / k, uniform_f1),
                    "chance")


def all_outside_baseline(tag_sequences: Iterable[Sequence[str]]) -> Baseline:
    """The all-`O` tagger: token accuracy = the share of `O` tags, entity F1 = 0.

    >>> all_outside_baseline([["O", "B-person"], ["O", "O"]]).accuracy
    0.75
    """
    tags: List[str] = [t for seq in tag_sequences for t in seq]
    if not tags:
        raise ValueError("A baseline needs at least one eval tag. Received: no tags")
    return Baseline("all-O tagger", sum(t == "O" for t in tags) / len(tags), 0.0, "all-O tagger")
