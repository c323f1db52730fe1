"""Deterministic, hash-based train/eval split."""
import hashlib


def assign_split(key: str, eval_fraction: float, salt: str = "kerasknow") -> str:
    """Returns `"eval"` or `"train"` for `key`, stable across runs and data additions.

    The split depends only on the record's key (not its position or the dataset size), so adding
    knowledge never moves an existing record between train and eval.

    Args:
        key: The record's identity (see `KnowledgeRecord.key`).
        eval_fraction: Fraction of keys assigned to eval, in (0, 1).
        salt: Changes the assignment as a whole.

    Returns:
        `"train"` or `"eval"`.

    Example:

    >>> assign_split("some text", 0.2) in ("train", "eval")
    True
    """
    if not 0.0 < eval_fraction < 1.0:
        raise ValueError(f"eval_fraction must be in (0, 1). Received: eval_fraction={eval_fraction!r}")
    digest = hashlib.sha256(f"{salt}:{key}".encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    return "eval" if bucket < eval_fraction else "train"
