"""Knowledge checks for labelled text that TFDV lacks."""
import collections
from typing import Any, Dict, List

from kerasknow.config import RunConfig, setting
from kerasknow.text.text_classification_reader import normalize_text
from kerasknow.validation.finding import Finding
from kerasknow.validation.label_count_findings import label_count_findings


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


def text_classification_checks(splits: Dict[str, List[Dict[str, List[Any]]]], config: RunConfig,
                               token_lengths: List[int]) -> List[Finding]:
    """Duplicates, conflicting labels, examples per label, empty texts and truncation.

    Args:
        splits: Decoded examples per split.
        config: The `validation` thresholds (`min_examples_per_label`, `max_duplicate_fraction`,
            `fail_on_conflicting_labels`, `max_truncated_fraction`) and `model.max_seq_length`.
        token_lengths: Word-piece length of every text (all splits, in order), with [CLS]/[SEP],
            measured with the model's real tokenizer.

    Returns:
        A list of `Finding`s.
    """
    checks = config.validation
    max_length = config.model.max_seq_length
    findings: List[Finding] = []
    rows = [(split, _text(ex), _label(ex)) for split, exs in splits.items() for ex in exs]
    total = len(rows)

    empty = [i for i, (_, t, _) in enumerate(rows) if not t.strip()]
    if empty:
        findings.append(Finding("empty_texts", "error", f"{len(empty)} empty or whitespace-only texts.",
                                {"count": len(empty)}, {"data/empty_texts": len(empty)}))

    by_text = collections.defaultdict(list)
    for split, text, label in rows:
        by_text[normalize_text(text)].append((split, label))
    duplicates = {t: v for t, v in by_text.items() if len(v) > 1 and len({lab for _, lab in v}) == 1}
    dup_rows = sum(len(v) - 1 for v in duplicates.values())
    if dup_rows:
        fraction = dup_rows / total
        severity = "warning"
        findings.append(Finding(
            "exact_duplicates", severity,
            f"{dup_rows} texts ({fraction:.1%}) repeat an earlier text with the same label"
            + (f", above max_duplicate_fraction={checks.max_duplicate_fraction:.1%}"
               if fraction > checks.max_duplicate_fraction else "") + ".",
            {"count": dup_rows, "fraction": fraction,
             "examples": [t[:100] for t in list(duplicates)[:5]],
             "across_splits": sum(1 for v in duplicates.values() if len({s for s, _ in v}) > 1)},
            {"data/duplicate_fraction": fraction}))
    conflicts = {t: sorted({lab for _, lab in v}) for t, v in by_text.items() if len({lab for _, lab in v}) > 1}
    if conflicts:
        findings.append(Finding(
            "conflicting_labels", "error" if checks.fail_on_conflicting_labels else "warning",
            f"{len(conflicts)} texts appear with different labels (same text after case and space "
            f"folding). Fix their labels or set {setting('validation.fail_on_conflicting_labels')}: false.",
            {"count": len(conflicts),
             "examples": [{"text": t[:100], "labels": labs} for t, labs in list(conflicts.items())[:10]]},
            {"data/conflicting_texts": len(conflicts)}))

    findings.extend(label_count_findings((_label(ex) for ex in splits.get("train", [])),
                                         (_label(ex) for ex in splits.get("eval", [])),
                                         checks.min_examples_per_label, noun="examples"))

    if token_lengths:
        truncated = sum(1 for n in token_lengths if n > max_length)
        fraction = truncated / len(token_lengths)
        lengths = sorted(token_lengths)
        details = {"truncated": truncated, "fraction": fraction, "max_seq_length": max_length,
                   "median_tokens": lengths[len(lengths) // 2], "max_tokens": lengths[-1]}
        severity = "warning" if fraction > checks.max_truncated_fraction else "info"
        findings.append(Finding(
            "truncated_at_max_seq_length", severity,
            f"{truncated} of {len(token_lengths)} texts ({fraction:.1%}) are longer than max_seq_length="
            f"{max_length} word pieces and will be truncated (median {details['median_tokens']})"
            + (f"; above max_truncated_fraction={checks.max_truncated_fraction:.0%}" if severity == "warning" else "")
            + ".", details, {"data/truncated_fraction": fraction}))
    return findings
