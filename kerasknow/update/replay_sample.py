"""A class-balanced, deterministic sample of the old knowledge to replay in an update.

The rule in three parts, so KnowledgeBase's Beam pipeline (`components/knowledge_base/beam_merge.py`)
can run it without holding the old knowledge in one worker: each item counts for its rarest class
(`rarest_class`), a class keeps its `size` items of smallest `sample_rank`, and the classes take
turns (`round_robin`). `replay_sample` is the same rule over a list in memory.
"""
import collections
import hashlib
from typing import Callable, Dict, List, Mapping, Sequence, TypeVar

T = TypeVar("T")


def sample_rank(key: str, seed: int) -> str:
    """An item's place within its class: a hash of its key and `seed`, so the same knowledge and
    seed give the same sample, and adding knowledge does not reshuffle what a class chose before.

    >>> sample_rank("a", 1) == sample_rank("a", 1), sample_rank("a", 1) == sample_rank("a", 2)
    (True, False)
    """
    return hashlib.sha256(f"{seed}|{key}".encode("utf-8")).hexdigest()


def rarest_class(classes: Sequence[str], counts: Mapping[str, int]) -> str:
    """The class an item counts for: its rarest by `counts` (NER sentences carry several entity
    types), ties broken by name; `""` for an item without classes.

    >>> rarest_class(["loc", "person"], {"loc": 9, "person": 2}), rarest_class([], {})
    ('person', '')
    """
    return min(classes, key=lambda c: (counts.get(c, 0), c)) if classes else ""


def round_robin(queues: Mapping[str, Sequence[T]], group_sizes: Mapping[str, int], size: int) -> List[T]:
    """Up to `size` items, the classes taking turns, the smallest class (by `group_sizes`, all
    the items it has; `queues` may hold only the first `size` of them) first.

    >>> round_robin({"a": ["a1", "a2", "a3"], "b": ["b1"]}, {"a": 3, "b": 1}, 3)
    ['b1', 'a1', 'a2']
    """
    order = sorted(queues, key=lambda c: (group_sizes.get(c, len(queues[c])), c))
    total = min(size, sum(len(q) for q in queues.values()))
    sample: List[T] = []
    depth = 0
    while len(sample) < total:
        for c in order:
            if depth < len(queues[c]) and len(sample) < size:
                sample.append(queues[c][depth])
        depth += 1
    return sample


def replay_sample(items: Sequence[T], size: int, classes_of: Callable[[T], List[str]], key_of: Callable[[T], str],
                  seed: int = 42) -> List[T]:
    """Up to `size` items, as evenly spread over the classes as they allow (in memory).

    Args:
        items: The old training examples.
        size: How many to keep; all when there are fewer.
        classes_of: The classes of an item (`TaskFamily.example_classes`).
        key_of: The identity of an item (`TaskFamily.example_key`).
        seed: Seed of the order within a class (`sample_rank`).

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
        by_class[rarest_class(classes_of(item), counts)].append(item)
    queues = {c: sorted(group, key=lambda it: sample_rank(key_of(it), seed))[:size] for c, group in by_class.items()}
    return round_robin(queues, {c: len(group) for c, group in by_class.items()}, size)
