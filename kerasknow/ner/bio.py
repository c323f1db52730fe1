"""BIO (IOB) tag-scheme utilities: validation, IOB1 -> IOB2, repair and entity spans.

kerasknow trains on IOB2 tags: `B-<type>` begins an entity, `I-<type>` continues it, `O` is
outside. IOB1 (CoNLL-2003's original scheme) uses `I-` to begin entities and `B-` only between two
adjacent entities of the same type; `looks_like_iob1` recognises it and `to_iob2` converts it.
An `I-<type>` that does not follow a `B-`/`I-` of the same type is an *invalid continuation* in
IOB2; `to_iob2` also repairs those (it turns them into `B-<type>`), which is exactly the IOB1 ->
IOB2 rule.
"""
import re
from typing import Iterable, List, Sequence, Tuple

OUTSIDE = "O"
_TAG_RE = re.compile(r"^(?:O|[BI]-\S+)$")


def is_valid_tag(tag: str) -> bool:
    """Returns True for `O`, `B-<type>` and `I-<type>` (type: one or more non-space characters).

    Example:

    >>> is_valid_tag("B-geo-loc"), is_valid_tag("PER"), is_valid_tag("B-")
    (True, False, False)
    """
    return bool(_TAG_RE.match(tag))


def split_tag(tag: str) -> Tuple[str, str]:
    """Splits a valid tag into `(prefix, type)`: `"B-person"` -> `("B", "person")`, `"O"` -> `("O", "")`.

    Raises:
        ValueError: For a tag that is not `O`, `B-<type>` or `I-<type>`.
    """
    if not is_valid_tag(tag):
        raise ValueError(f"Expected a BIO tag ('O', 'B-<type>' or 'I-<type>'). Received: tag={tag!r}")
    if tag == OUTSIDE:
        return OUTSIDE, ""
    return tag[0], tag[2:]


def _continues(previous: str, tag: str) -> bool:
    """True when `tag` is `I-X` right after `B-X` or `I-X`."""
    return tag.startswith("I-") and previous[:2] in ("B-", "I-") and previous[2:] == tag[2:]


def invalid_continuations(tags: Sequence[str]) -> List[int]:
    """Positions of `I-<type>` tags not preceded by `B-<type>`/`I-<type>` of the same type.

    Args:
        tags: One sentence's tags (invalid tags are ignored here).

    Returns:
        0-based positions, in order.

    Example:

    >>> invalid_continuations(["O", "I-person", "B-loc", "I-person"])
    [1, 3]
    """
    out = []
    previous = OUTSIDE
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and not _continues(previous, tag):
            out.append(i)
        previous = tag
    return out


def to_iob2(tags: Sequence[str]) -> List[str]:
    """Converts IOB1 tags to IOB2, which also repairs invalid `I-` continuations.

    Every `I-<type>` that starts an entity (at the sentence start, after `O` or after another
    type) becomes `B-<type>`; everything else is unchanged. On valid IOB2 input it is the
    identity.

    Example:

    >>> to_iob2(["I-PER", "I-PER", "B-PER", "O", "I-LOC"])
    ['B-PER', 'I-PER', 'B-PER', 'O', 'B-LOC']
    """
    out = list(tags)
    for i in invalid_continuations(tags):
        out[i] = "B-" + tags[i][2:]
    return out


def looks_like_iob1(sentences: Iterable[Sequence[str]]) -> bool:
    """Guesses whether tagged sentences use IOB1 rather than IOB2.

    IOB1 begins entities with `I-` and uses `B-` only right after an entity of the same type. So:
    some `I-` begins an entity AND no `B-` follows `O`, the sentence start or another type. IOB2
    data with a few broken `I-` tags still has `B-` tags after `O`, and stays IOB2 (its broken
    tags are reported or repaired, not silently converted).

    Args:
        sentences: Tag sequences (e.g. all sentences of one file).

    Returns:
        True when the tags look like IOB1.

    Example:

    >>> looks_like_iob1([["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]])
    True
    >>> looks_like_iob1([["B-PER", "O", "I-LOC"]])
    False
    """
    i_starts = 0
    for tags in sentences:
        previous = OUTSIDE
        for tag in tags:
            if tag.startswith("B-") and not (previous[:2] in ("B-", "I-") and previous[2:] == tag[2:]):
                return False
            if tag.startswith("I-") and not _continues(previous, tag):
                i_starts += 1
            previous = tag
    return i_starts > 0


def entity_spans(tags: Sequence[str]) -> List[Tuple[str, int, int]]:
    """Entities of a tag sequence as `(type, start, end)`, `end` exclusive, conlleval-style.

    The chunking rules are seqeval's default (conlleval-compatible) mode, so these spans are the
    entities `kerasknow.ner.ner_metrics` scores: a `B-` or an `I-` that does not continue an
    entity of its type begins a new entity; `O` or a type change ends it. (seqeval's `E-`/`S-`
    and `.` rules are kept too, so any tag sequence chunks exactly as seqeval chunks it.)

    Args:
        tags: One sentence's tags.

    Returns:
        A list of `(type, start, end)` in order of `start`. Tags without a type (e.g. a bare `B`)
        get the type `"_"`, as in seqeval.

    Example:

    >>> entity_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
    [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]
    """
    chunks = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, chunk in enumerate(list(tags) + ["O"]):
        tag = chunk[0] if chunk else ""
        type_ = chunk[1:].split("-", maxsplit=1)[-1] or "_"
        if _end_of_chunk(prev_tag, tag, prev_type, type_):
            chunks.append((prev_type, begin, i))
        if _start_of_chunk(prev_tag, tag, prev_type, type_):
            begin = i
        prev_tag, prev_type = tag, type_
    return chunks


# seqeval 1.2.2's end_of_chunk/start_of_chunk, kept rule for rule.
def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag not in ("O", ".") and prev_type != type_


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("E", "I"):
        return True
    return tag not in ("O", ".") and prev_type != type_
