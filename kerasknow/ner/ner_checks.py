"""Knowledge checks for entity-tagged sentences that TFDV lacks."""
import collections
from typing import Any, Dict, List, Sequence, Tuple

from kerasknow.config import RunConfig, setting
from kerasknow.ner.bio import entity_spans, invalid_continuations, is_valid_tag
from kerasknow.validation.finding import Finding

_LENGTH_BATCH = 512
_EXAMPLES = 5

Row = Tuple[str, int, List[str], List[str]]  # (split, index, tokens, tags)


def strings(values) -> List[str]:
    """Decoded feature values (`bytes` from a tf.Example, or `str`)."""
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values]


def ner_checks(splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
    """Tag-sequence checks over decoded `tokens`/`tags` examples per split.

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
        `max_truncated_fraction`, else info).
    """
    findings: List[Finding] = []
    rows: List[Row] = []
    mismatched = []
    for split, examples in splits.items():
        for i, ex in enumerate(examples):
            tokens, tags = strings(ex.get("tokens", [])), strings(ex.get("tags", []))
            if len(tokens) != len(tags):
                mismatched.append({"split": split, "index": i, "tokens": len(tokens), "tags": len(tags),
                                   "text": " ".join(tokens)[:100]})
                continue
            rows.append((split, i, tokens, tags))
    if mismatched:
        findings.append(Finding(
            "tag_count_mismatch", "error",
            f"{len(mismatched)} sentences have a different number of tokens and tags; every token "
            "needs exactly one tag.", {"count": len(mismatched), "examples": mismatched[:_EXAMPLES]}))

    unknown = collections.Counter(t for _, _, _, tags in rows for t in tags if not is_valid_tag(t))
    if unknown:
        findings.append(Finding(
            "unknown_tags", "error",
            f"{sum(unknown.values())} tags in {len(unknown)} forms are not 'O', 'B-<type>' or 'I-<type>': "
            f"{sorted(unknown)[:_EXAMPLES]}. Fix the tags (IOB2).", {"tags": dict(unknown.most_common(20))}))

    findings.extend(bio_findings(rows, config.ingest.repair_bio))
    findings.extend(mention_findings(rows, config.validation.min_mentions_per_type))
    findings.extend(length_findings(rows, config))
    return findings


def bio_findings(rows: Sequence[Row], repair_bio: bool) -> List[Finding]:
    """`invalid_bio`: `I-` tags that continue no entity of their type."""
    invalid = []
    for split, i, tokens, tags in rows:
        for pos in invalid_continuations(tags):
            invalid.append({"split": split, "index": i, "position": pos, "token": tokens[pos],
                            "tag": tags[pos], "previous": tags[pos - 1] if pos else "(sentence start)"})
    if not invalid:
        return []
    return [Finding(
        "invalid_bio", "warning" if repair_bio else "error",
        f"{len(invalid)} 'I-' tags do not continue a 'B-'/'I-' of the same type (IOB2 needs an entity to "
        f"begin with 'B-'). Fix the tags, or set {setting('ingest.repair_bio')}: true to turn them into 'B-'.",
        {"count": len(invalid), "examples": invalid[:_EXAMPLES]}, {"data/invalid_bio_tags": len(invalid)})]


def mention_findings(rows: Sequence[Row], min_mentions_per_type: int) -> List[Finding]:
    """`no_entities`, `entity_mentions`, `rare_entity_types` and `unseen_eval_tags`."""
    findings = []
    mentions: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    tags_by_split: Dict[str, set] = collections.defaultdict(set)
    for split, _, _, tags in rows:
        tags_by_split[split].update(tags)
        valid = [t if is_valid_tag(t) else "O" for t in tags]
        mentions[split].update(type_ for type_, _, _ in entity_spans(valid))
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
    findings.append(Finding(
        "entity_mentions", "info",
        f"{sum(total.values())} entity mentions of {len(total)} types: "
        + ", ".join(f"{t} {n}" for t, n in total.most_common()) + ".",
        {"by_split": {s: dict(c) for s, c in mentions.items()}, "total": dict(total)},
        {f"entity_mentions/{t}": train.get(t, 0) for t in sorted(total)}))
    rare = {t: train.get(t, 0) for t in sorted(total) if train.get(t, 0) < min_mentions_per_type}
    if rare:
        findings.append(Finding(
            "rare_entity_types", "warning",
            f"{len(rare)} entity types have fewer than {setting('validation.min_mentions_per_type')}="
            f"{min_mentions_per_type} training mentions: " + ", ".join(f"{t} ({n})" for t, n in rare.items())
            + ". The model will hardly learn them; add examples.",
            {"types": rare, "min_mentions_per_type": min_mentions_per_type}))
    if "train" in tags_by_split and "eval" in tags_by_split:
        unseen = sorted(tags_by_split["eval"] - tags_by_split["train"])
        if unseen:
            findings.append(Finding(
                "unseen_eval_tags", "warning",
                f"{len(unseen)} tags occur in eval but never in train: {unseen[:10]}. The model cannot "
                "learn them; their eval entities count as misses.", {"tags": unseen}))
    return findings


def length_findings(rows: Sequence[Row], config: RunConfig) -> List[Finding]:
    """`truncated_sentences`: sentences longer than `model.max_seq_length` word pieces."""
    if not rows:
        return []
    max_length = config.model.max_seq_length
    limit = config.validation.max_truncated_fraction
    lengths = piece_lengths([tokens for _, _, tokens, _ in rows], config)
    over = [(row, n) for row, n in zip(rows, lengths) if n > max_length]
    fraction = len(over) / len(rows)
    details = {
        "count": len(over), "fraction": fraction, "max_seq_length": max_length,
        "max_truncated_fraction": limit, "longest": max(lengths),
        "examples": [{"split": r[0], "index": r[1], "word_pieces": n, "text": " ".join(r[2])[:100]}
                     for r, n in over[:_EXAMPLES]],
    }
    scalars = {"data/truncated_fraction": fraction}
    if fraction > limit:
        return [Finding(
            "truncated_sentences", "warning",
            f"{len(over)} sentences ({fraction:.1%}) are longer than max_seq_length={max_length} word pieces, "
            f"above max_truncated_fraction={limit:.1%}; their ends are not trained on or tagged. Raise "
            f"{setting('model.max_seq_length')} or split the sentences.", details, scalars)]
    return [Finding(
        "truncated_sentences", "info",
        f"{len(over)} sentences ({fraction:.1%}) are longer than max_seq_length={max_length} "
        f"word pieces (longest {max(lengths)}).", details, scalars)]


def piece_lengths(sentences: List[List[str]], config: RunConfig) -> List[int]:
    """Word pieces per sentence with [CLS]/[SEP], from the tokenizer training uses."""
    import tensorflow as tf

    from kerasknow.ner.label_alignment import word_pieces_of_sentences
    from kerasknow.text.run_tokenizer import run_tokenizer

    tokenizer = run_tokenizer(config)
    lengths: List[int] = []
    for start in range(0, len(sentences), _LENGTH_BATCH):
        batch = tf.ragged.constant(sentences[start:start + _LENGTH_BATCH], dtype=tf.string)
        piece_ids, _ = word_pieces_of_sentences(tokenizer, batch)
        lengths.extend(int(n) + 2 for n in piece_ids.row_lengths().numpy())
    return lengths
