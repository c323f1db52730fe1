"""A record read from knowledge data, before it becomes a `tf.train.Example`."""
import dataclasses
from typing import Any, Dict, Optional


@dataclasses.dataclass
class KnowledgeRecord:
    """One usable knowledge record.

    Args:
        features: Feature name to value: `str`/`bytes` or a list of them, `int` or a list of ints,
            `float` or a list of floats.
        key: The identity used for the train/eval split (hash of it), e.g. the normalised text or
            image content hash: the same record keeps its split when more data is added.
        source: File the record came from.
        line: 1-based line (or record number) in `source`.
    """

    features: Dict[str, Any]
    key: str
    source: str = ""
    line: Optional[int] = None
