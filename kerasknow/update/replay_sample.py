"""A class-balanced, deterministic sample of the old knowledge to replay in an update."""
import collections
import hashlib
from typing import Callable, Dict, List, Sequence, TypeVar

T = TypeVar("T")


def _rank(key: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}|{key}".encode("utf-8")).hexdigest()


def replay_sample(items: Sequence[T], size: int, classes_of: Callable[[T], List[str]], key_of: Callable[[T], str],
                  seed: int = 42) -> List[T]:
    """Up to `size` items, as evenly spread over the classes as they allow.

    Each item counts for its rarest class (NER sentences carry several entity types), classes
    take turns (the smallest first), and within a class items are ordered by a hash of their key
    and `seed`: the same knowledge and seed give the same sample, and adding knowledge does not
    reshuffle what was chosen for a class before.

    Args:
        items: The old training examples.
        size: How many to keep; all when there are fewer.
        classes_of: The classes of an item (`TaskFamily.example_classes`).
        key_of: The identity of an item (`TaskFamily.example_key`).
        seed: Seed of the order within a class.

    Returns:
        The sample, in round-robin order over the classes.

    Example:

    >>> data = ["a1", "a2", "a3", "a4", "b1"]
    >>> sorted(replay_sample(data, 3, lambda x: [x[0]], lambda x: x))
    ['a1', 'a4', 'b1']
    """
    if size <= 0 or not items:
        return []
    counts = collections.Counter(c for item in items for c in classes_of(item))
    by_class: Dict[str, List[T]] = collections.defaultdict(list)
    for item in items:
        classes = classes_of(item) or [""]
        by_class[min(classes, key=lambda c: (counts.get(c, 0), c))].append(item)
    queues = {c: sorted(group, key=lambda it: _rank(key_of(it), seed)) for c, group in by_class.items()}
    order = sorted(queues, key=lambda c: (len(queues[c]), c))
    sample: List[T] = []
    depth = 0
    while len(sample) < min(size, len(items)):
        for c in order:
            if depth < len(queues[c]) and len(sample) < size:
                sample.append(queues[c][depth])
        depth += 1
    return sample
