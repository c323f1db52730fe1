"""Knowledge checks for entity-tagged sentences that TFDV lacks."""
import collections
import dataclasses
import json
from typing import Any, Dict, List

from kerasknow.config import RunConfig, setting
from kerasknow.ner.bio import entity_spans, invalid_continuations, is_valid_tag
from kerasknow.validation.finding import Finding

_LENGTH_BATCH = 512
_EXAMPLES = 5


def strings(values) -> List[str]:
    """Decoded feature values (`bytes` from a tf.Example, or `str`)."""
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def ner_checks(splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
    """Tag-sequence checks over decoded `tokens`/`tags` examples per split.

    The same findings as `kerasknow.ner.ner_checks_transform.NerChecks` (Beam) computes over the
    whole data set; this one works on decoded examples in memory.

    Args:
        splits: Decoded examples per split (`{"train": [...], "eval": [...]}`).
        config: `validation` (`min_mentions_per_type`, `max_truncated_fraction`), `ingest.repair_bio`
            and `model` (the tokenizer, `max_seq_length`).

    Returns:
        Findings: `tag_count_mismatch` (error), `unknown_tags` (error), `invalid_bio` (`I-`
        without a preceding `B-`/`I-` of its type: error; with `repair_bio` the reader has
        repaired them, and any left are a warning), `no_entities` (error), `entity_mentions`
        (info: mentions per type and split), `rare_entity_types` (warning: fewer than
        `min_mentions_per_type` train mentions), `unseen_eval_tags` (warning),
        `truncated_sentences` (sentences longer than `max_seq_length` word pieces with
        [CLS]/[SEP], counted with the checkpoint's tokenizer: warning above
        `max_truncated_fraction`, else info). A finding's examples are the first by sentence
        text (then split), an order every Beam worker computes alike.
    """
    facts = [sentence_facts(split, strings(ex.get("tokens", [])), strings(ex.get("tags", [])))
             for split, examples in splits.items() for ex in examples]
    rows = [(split, tokens) for split, examples in splits.items() for ex in examples
            for tokens, tags in [(strings(ex.get("tokens", [])), strings(ex.get("tags", [])))]
            if len(tokens) == len(tags)]
    lengths = piece_lengths([tokens for _, tokens in rows], config) if rows else []
    long_ = sorted(((_order(" ".join(tokens), split), {"split": split, "word_pieces": n,
                                                        "text": " ".join(tokens)[:100]})
                    for (split, tokens), n in zip(rows, lengths) if n > config.model.max_seq_length),
                   key=lambda t: t[0])
    agg = aggregate_sentence_facts(facts)
    agg.lengths = dict(collections.Counter(lengths))
    agg.truncated_examples = [e for _, e in long_[:_EXAMPLES]]
    return ner_findings(agg, config)


def _order(text: str, split: str):
    return text[:100], split, text


def mismatch_order(item):
    """The order of `(order, mismatch)` pairs: by sentence, then the whole example (ties are equal)."""
    return item[0], json.dumps(item[1], sort_keys=True)


def invalid_order(item):
    """The order of `(order, position, invalid tag)` triples: by sentence, position, then the whole example."""
    return item[0], item[1], json.dumps(item[2], sort_keys=True)


def sentence_facts(split: str, tokens: List[str], tags: List[str]) -> Dict[str, Any]:
    """What the NER checks read of one sentence, apart from its word-piece length."""
    text = " ".join(tokens)
    if len(tokens) != len(tags):
        return {"split": split, "mismatch": {"split": split, "tokens": len(tokens), "tags": len(tags),
                                             "text": text[:100]}, "order": _order(text, split)}
    valid = [t if is_valid_tag(t) else "O" for t in tags]
    return {"split": split, "mismatch": None, "order": _order(text, split), "tags": sorted(set(tags)),
            "unknown": [t for t in tags if not is_valid_tag(t)],
            "invalid": [{"split": split, "position": pos, "token": tokens[pos], "tag": tags[pos],
                         "previous": tags[pos - 1] if pos else "(sentence start)", "text": text[:100]}
                        for pos in invalid_continuations(tags)],
            "mentions": [type_ for type_, _, _ in entity_spans(valid)]}


@dataclasses.dataclass
class NerAggregates:
    """What the NER checks measure over the whole data set: counts and capped examples only."""

    sentences: int = 0
    mismatched: int = 0
    mismatch_examples: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    unknown_tags: Dict[str, int] = dataclasses.field(default_factory=dict)
    invalid_bio: int = 0
    invalid_examples: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    mentions: Dict[str, Dict[str, int]] = dataclasses.field(default_factory=dict)
    tags_by_split: Dict[str, List[str]] = dataclasses.field(default_factory=dict)
    lengths: Dict[int, int] = dataclasses.field(default_factory=dict)
    truncated_examples: List[Dict[str, Any]] = dataclasses.field(default_factory=list)


def aggregate_sentence_facts(facts: List[Dict[str, Any]]) -> NerAggregates:
    """`NerAggregates` (all but the lengths) from every sentence's `sentence_facts`, in memory."""
    agg = NerAggregates(sentences=len(facts))
    mismatched = sorted(((f["order"], f["mismatch"]) for f in facts if f["mismatch"] is not None), key=mismatch_order)
    agg.mismatched = len(mismatched)
    agg.mismatch_examples = [m for _, m in mismatched[:_EXAMPLES]]
    good = [f for f in facts if f["mismatch"] is None]
    agg.unknown_tags = dict(collections.Counter(t for f in good for t in f["unknown"]))
    invalid = sorted(((f["order"], i["position"], i) for f in good for i in f["invalid"]), key=invalid_order)
    agg.invalid_bio = len(invalid)
    agg.invalid_examples = [i for _, _, i in invalid[:_EXAMPLES]]
    mentions: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    tags: Dict[str, set] = collections.defaultdict(set)
    for f in good:
        mentions[f["split"]].update(f["mentions"])
        tags[f["split"]].update(f["tags"])
    agg.mentions = {split: dict(c) for split, c in mentions.items()}
    agg.tags_by_split = {split: sorted(t) for split, t in tags.items()}
    return agg


def ner_findings(agg: NerAggregates, config: RunConfig) -> List[Finding]:
    """The NER checks' findings from their aggregates (in memory or from Beam alike)."""
    findings: List[Finding] = []
    if agg.mismatched:
        findings.append(Finding(
            "tag_count_mismatch", "error",
            f"{agg.mismatched} sentences have a different number of tokens and tags; every token "
            "needs exactly one tag.", {"count": agg.mismatched, "examples": list(agg.mismatch_examples)}))

    unknown = collections.Counter(agg.unknown_tags)
    if unknown:
        common = sorted(unknown.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
        findings.append(Finding(
            "unknown_tags", "error",
            f"{sum(unknown.values())} tags in {len(unknown)} forms are not 'O', 'B-<type>' or 'I-<type>': "
            f"{sorted(unknown)[:_EXAMPLES]}. Fix the tags (IOB2).", {"tags": dict(common)}))

    findings.extend(bio_findings(agg, config.ingest.repair_bio))
    findings.extend(mention_findings(agg, config.validation.min_mentions_per_type))
    findings.extend(length_findings(agg, config))
    return findings


def bio_findings(agg: NerAggregates, repair_bio: bool) -> List[Finding]:
    """`invalid_bio`: `I-` tags that continue no entity of their type."""
    if not agg.invalid_bio:
        return []
    return [Finding(
        "invalid_bio", "warning" if repair_bio else "error",
        f"{agg.invalid_bio} 'I-' tags do not continue a 'B-'/'I-' of the same type (IOB2 needs an entity to "
        f"begin with 'B-'). Fix the tags, or set {setting('ingest.repair_bio')}: true to turn them into 'B-'.",
        {"count": agg.invalid_bio, "examples": list(agg.invalid_examples)},
        {"data/invalid_bio_tags": agg.invalid_bio})]


def mention_findings(agg: NerAggregates, min_mentions_per_type: int) -> List[Finding]:
    """`no_entities`, `entity_mentions`, `rare_entity_types` and `unseen_eval_tags`."""
    findings = []
    mentions = {split: collections.Counter(c) for split, c in agg.mentions.items()}
    total = collections.Counter()
    for counter in mentions.values():
        total.update(counter)
    if not total:
        findings.append(Finding(
            "no_entities", "error",
            "The knowledge data has no entity tags at all (every tag is 'O'); a NER model cannot learn "
            "from it. Fix: tag entities as 'B-<type>'/'I-<type>'.", {}))
        return findings
    train = mentions.get("train", total)
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    findings.append(Finding(
        "entity_mentions", "info",
        f"{sum(total.values())} entity mentions of {len(total)} types: "
        + ", ".join(f"{t} {n}" for t, n in ranked) + ".",
        {"by_split": {s: dict(sorted(c.items())) for s, c in sorted(mentions.items())},
         "total": dict(sorted(total.items()))},
        {f"entity_mentions/{t}": train.get(t, 0) for t in sorted(total)}))
    rare = {t: train.get(t, 0) for t in sorted(total) if train.get(t, 0) < min_mentions_per_type}
    if rare:
        findings.append(Finding(
            "rare_entity_types", "warning",
            f"{len(rare)} entity types have fewer than {setting('validation.min_mentions_per_type')}="
            f"{min_mentions_per_type} training mentions: " + ", ".join(f"{t} ({n})" for t, n in rare.items())
            + ". The model will hardly learn them; add examples.",
            {"types": rare, "min_mentions_per_type": min_mentions_per_type}))
    tags_by_split = agg.tags_by_split
    if "train" in tags_by_split and "eval" in tags_by_split:
        unseen = sorted(set(tags_by_split["eval"]) - set(tags_by_split["train"]))
        if unseen:
            findings.append(Finding(
                "unseen_eval_tags", "warning",
                f"{len(unseen)} tags occur in eval but never in train: {unseen[:10]}. The model cannot "
                "learn them; their eval entities count as misses.", {"tags": unseen}))
    return findings


def length_findings(agg: NerAggregates, config: RunConfig) -> List[Finding]:
    """`truncated_sentences`: sentences longer than `model.max_seq_length` word pieces."""
    if not agg.lengths:
        return []
    max_length = config.model.max_seq_length
    limit = config.validation.max_truncated_fraction
    sentences = sum(agg.lengths.values())
    over = sum(c for n, c in agg.lengths.items() if int(n) > max_length)
    longest = max(int(n) for n in agg.lengths)
    fraction = over / sentences
    details = {
        "count": over, "fraction": fraction, "max_seq_length": max_length,
        "max_truncated_fraction": limit, "longest": longest, "examples": list(agg.truncated_examples),
    }
    scalars = {"data/truncated_fraction": fraction}
    if fraction > limit:
        return [Finding(
            "truncated_sentences", "warning",
            f"{over} sentences ({fraction:.1%}) are longer than max_seq_length={max_length} word pieces, "
            f"above max_truncated_fraction={limit:.1%}; their ends are not trained on or tagged. Raise "
            f"{setting('model.max_seq_length')} or split the sentences.", details, scalars)]
    return [Finding(
        "truncated_sentences", "info",
        f"{over} sentences ({fraction:.1%}) are longer than max_seq_length={max_length} "
        f"word pieces (longest {longest}).", details, scalars)]


def piece_lengths(sentences: List[List[str]], config: RunConfig, tokenizer=None) -> List[int]:
    """Word pieces per sentence with [CLS]/[SEP], from the tokenizer training uses."""
    import tensorflow as tf

    from kerasknow.ner.label_alignment import word_pieces_of_sentences
    from kerasknow.text.run_tokenizer import run_tokenizer

    tokenizer = tokenizer or run_tokenizer(config)
    lengths: List[int] = []
    for start in range(0, len(sentences), _LENGTH_BATCH):
        batch = tf.ragged.constant(sentences[start:start + _LENGTH_BATCH], dtype=tf.string)
        piece_ids, _ = word_pieces_of_sentences(tokenizer, batch)
        lengths.extend(int(n) + 2 for n in piece_ids.row_lengths().numpy())
    return lengths
