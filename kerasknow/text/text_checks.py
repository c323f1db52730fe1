"""Knowledge checks for labelled text that TFDV lacks."""
import collections
import dataclasses
import hashlib
from typing import Any, Dict, List

from kerasknow.config import RunConfig, setting
from kerasknow.text.text_classification_reader import normalize_text
from kerasknow.validation.finding import Finding
from kerasknow.validation.histograms import nth_value
from kerasknow.validation.label_count_findings import counted_label_findings


def token_lengths(texts: List[str], checkpoint: str) -> List[int]:
    """Word-piece counts (with [CLS]/[SEP]) of `texts` from the checkpoint's real tokenizer.

    Args:
        texts: The texts.
        checkpoint: The `model.checkpoint` setting (`""` for the default MiniLM).

    Returns:
        One count per text.
    """
    from transformers import BertTokenizerFast

    from kerasknow.models.checkpoints import resolve_checkpoint

    tokenizer = BertTokenizerFast.from_pretrained(resolve_checkpoint(checkpoint))
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=True, truncation=False)["input_ids"]]


def _text(example: Dict[str, List[Any]]) -> str:
    return example["text"][0].decode("utf-8") if example.get("text") else ""


def _label(example: Dict[str, List[Any]]) -> str:
    return example["label"][0].decode("utf-8") if example.get("label") else ""


def example_order(key: str):
    """The order in which a finding's capped examples are chosen: by the text's first 100
    characters, then its hash (an order every Beam worker computes alike, which read order is not)."""
    return key[:100], hashlib.sha256(key.encode("utf-8")).hexdigest()


def text_classification_checks(splits: Dict[str, List[Dict[str, List[Any]]]], config: RunConfig,
                               token_lengths: List[int]) -> List[Finding]:
    """Duplicates, conflicting labels, examples per label, empty texts and truncation.

    The same findings as `kerasknow.text.text_checks_transform.TextClassificationChecks` (Beam)
    computes over the whole data set; this one works on decoded examples in memory.

    Args:
        splits: Decoded examples per split.
        config: The `validation` thresholds (`min_examples_per_label`, `max_duplicate_fraction`,
            `fail_on_conflicting_labels`, `max_truncated_fraction`) and `model.max_seq_length`.
        token_lengths: Word-piece length of every text (all splits, in order), with [CLS]/[SEP],
            measured with the model's real tokenizer.

    Returns:
        A list of `Finding`s.
    """
    rows = [(split, _text(ex), _label(ex)) for split, exs in splits.items() for ex in exs]
    by_text = collections.defaultdict(list)
    for split, text, label in rows:
        by_text[normalize_text(text)].append((split, label))
    duplicates = {t: v for t, v in by_text.items() if len(v) > 1 and len({lab for _, lab in v}) == 1}
    conflicts = {t: sorted({lab for _, lab in v}) for t, v in by_text.items() if len({lab for _, lab in v}) > 1}
    counts = {split: collections.Counter(_label(ex) for ex in splits.get(split, [])) for split in ("train", "eval")}
    return text_findings(TextAggregates(
        total=len(rows),
        empty=sum(1 for _, t, _ in rows if not t.strip()),
        duplicate_rows=sum(len(v) - 1 for v in duplicates.values()),
        duplicates_across_splits=sum(1 for v in duplicates.values() if len({s for s, _ in v}) > 1),
        duplicate_examples=[t[:100] for t in sorted(duplicates, key=example_order)[:DUPLICATE_EXAMPLES]],
        conflicts=len(conflicts),
        conflict_examples=[{"text": t[:100], "labels": conflicts[t]}
                           for t in sorted(conflicts, key=example_order)[:CONFLICT_EXAMPLES]],
        train_labels=dict(counts["train"]), eval_labels=dict(counts["eval"]),
        token_lengths=dict(collections.Counter(token_lengths))), config)


#: Examples a finding lists, at most.
DUPLICATE_EXAMPLES = 5
CONFLICT_EXAMPLES = 10


@dataclasses.dataclass
class TextAggregates:
    """What the text checks measure over the whole data set: counts and capped examples only.

    Args:
        total: Examples.
        empty: Examples whose text is empty or whitespace.
        duplicate_rows: Examples repeating an earlier text (after `normalize_text`) with its label.
        duplicates_across_splits: Repeated texts found in more than one split.
        duplicate_examples: The first repeated texts (`example_order`), 100 characters each.
        conflicts: Texts with more than one label.
        conflict_examples: The first of them (`example_order`): `{"text", "labels"}`.
        train_labels: Label -> training examples.
        eval_labels: Label -> eval examples.
        token_lengths: Word pieces (with [CLS]/[SEP]) -> texts of that length.
    """

    total: int
    empty: int
    duplicate_rows: int
    duplicates_across_splits: int
    duplicate_examples: List[str]
    conflicts: int
    conflict_examples: List[Dict[str, Any]]
    train_labels: Dict[str, int]
    eval_labels: Dict[str, int]
    token_lengths: Dict[int, int]


def text_findings(agg: TextAggregates, config: RunConfig) -> List[Finding]:
    """The text checks' findings from their aggregates (in memory or from Beam alike)."""
    checks = config.validation
    max_length = config.model.max_seq_length
    findings: List[Finding] = []
    total = agg.total

    if agg.empty:
        findings.append(Finding("empty_texts", "error", f"{agg.empty} empty or whitespace-only texts.",
                                {"count": agg.empty}, {"data/empty_texts": agg.empty}))

    dup_rows = agg.duplicate_rows
    if dup_rows:
        fraction = dup_rows / total
        severity = "warning"
        findings.append(Finding(
            "exact_duplicates", severity,
            f"{dup_rows} texts ({fraction:.1%}) repeat an earlier text with the same label"
            + (f", above max_duplicate_fraction={checks.max_duplicate_fraction:.1%}"
               if fraction > checks.max_duplicate_fraction else "") + ".",
            {"count": dup_rows, "fraction": fraction,
             "examples": list(agg.duplicate_examples),
             "across_splits": agg.duplicates_across_splits},
            {"data/duplicate_fraction": fraction}))
    if agg.conflicts:
        findings.append(Finding(
            "conflicting_labels", "error" if checks.fail_on_conflicting_labels else "warning",
            f"{agg.conflicts} texts appear with different labels (same text after case and space "
            f"folding). Fix their labels or set {setting('validation.fail_on_conflicting_labels')}: false.",
            {"count": agg.conflicts, "examples": list(agg.conflict_examples)},
            {"data/conflicting_texts": agg.conflicts}))

    findings.extend(counted_label_findings(agg.train_labels, agg.eval_labels, checks.min_examples_per_label,
                                           noun="examples"))

    if agg.token_lengths:
        histogram = sorted((int(n), c) for n, c in agg.token_lengths.items())
        texts = sum(c for _, c in histogram)
        truncated = sum(c for n, c in histogram if n > max_length)
        fraction = truncated / texts
        details = {"truncated": truncated, "fraction": fraction, "max_seq_length": max_length,
                   "median_tokens": nth_value(histogram, texts // 2), "max_tokens": histogram[-1][0]}
        severity = "warning" if fraction > checks.max_truncated_fraction else "info"
        findings.append(Finding(
            "truncated_at_max_seq_length", severity,
            f"{truncated} of {texts} texts ({fraction:.1%}) are longer than max_seq_length="
            f"{max_length} word pieces and will be truncated (median {details['median_tokens']})"
            + (f"; above max_truncated_fraction={checks.max_truncated_fraction:.0%}" if severity == "warning" else "")
            + ".", details, {"data/truncated_fraction": fraction}))
    return findings
