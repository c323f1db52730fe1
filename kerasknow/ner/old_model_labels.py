"""NER's background shift in an update: old entity types the new knowledge leaves as `O`.

Sentences written for new entity types tag only those; every old type in them reads `O`, and
training on that teaches the model to forget the old types. Where the new knowledge says `O`,
the old (blessed) model's tag of an old type the new knowledge does not annotate is kept instead
(the old model as teacher, as in Monaikul et al., AAAI 2021).
"""
import functools
from typing import Iterable, List, Sequence, Set

from kerasknow.ner.bio import is_valid_tag


def background_types(old_labels: Sequence[str], new_tag_sequences: Iterable[Sequence[str]]) -> Set[str]:
    """Old entity types the new knowledge never tags: the ones whose mentions it leaves as `O`.

    >>> sorted(background_types(["B-person", "I-person", "B-loc", "O"], [["B-movie", "O"], ["B-loc"]]))
    ['person']
    """
    old = {t[2:] for t in old_labels if is_valid_tag(t) and t != "O"}
    annotated = {t[2:] for tags in new_tag_sequences for t in tags if is_valid_tag(t) and t != "O"}
    return old - annotated


def merge_background(new_tags: Sequence[str], old_tags: Sequence[str], types: Set[str]) -> List[str]:
    """`new_tags`, with the old model's tag wherever the new one is `O` and the old one is of `types`;
    an `I-` that no longer continues its entity becomes `B-`.

    >>> merge_background(["O", "O", "B-movie"], ["B-person", "I-person", "O"], {"person"})
    ['B-person', 'I-person', 'B-movie']
    >>> merge_background(["O", "B-movie", "O"], ["B-person", "I-person", "I-person"], {"person"})
    ['B-person', 'B-movie', 'B-person']
    """
    old_tags = list(old_tags)[:len(new_tags)] + ["O"] * max(0, len(new_tags) - len(old_tags))
    merged = [old if new == "O" and old != "O" and old[2:] in types else new for new, old in zip(new_tags, old_tags)]
    for i, tag in enumerate(merged):
        if tag.startswith("I-") and (i == 0 or merged[i - 1][2:] != tag[2:]):
            merged[i] = "B-" + tag[2:]
    return merged


def served_tags(saved_model_dir: str, sentences: List[List[str]], batch_size: int = 64,
                keep_loaded: bool = False) -> List[List[str]]:
    """A SavedModel's tag for every token (its `serving_examples` signature): the old model's, or a candidate's.

    `keep_loaded` keeps the loaded model for the next call with the same folder (one at a time):
    KnowledgeBase's Beam workers tag the new knowledge in many batches; the evaluator's one call
    per model frees it after.
    """
    import tensorflow as tf

    from kerasknow.data.example_codec import encode_features
    from kerasknow.ner.ner_checks import strings

    tagger = (_loaded(saved_model_dir) if keep_loaded else _load(saved_model_dir)).signatures["serving_examples"]
    out: List[List[str]] = []
    for start in range(0, len(sentences), batch_size):
        batch = [encode_features({"tokens": s}).SerializeToString() for s in sentences[start:start + batch_size]]
        result = tagger(examples=tf.constant(batch))
        out.extend(strings(row[:n]) for row, n in zip(result["tags"].numpy(), result["token_counts"].numpy()))
    return out


def _load(saved_model_dir: str):
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops the SavedModel uses)

    # The loaded object is kept while its signature runs: the signature needs its variables.
    return tf.saved_model.load(saved_model_dir)


@functools.lru_cache(maxsize=1)
def _loaded(saved_model_dir: str):
    """`_load`, once per process and folder (the last folder only)."""
    return _load(saved_model_dir)
