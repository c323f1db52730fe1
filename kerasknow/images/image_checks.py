"""Knowledge checks for labelled images that TFDV lacks."""
import collections
import hashlib
from typing import Any, Dict, List

import numpy as np

from kerasknow.config import RunConfig, setting
from kerasknow.validation.finding import Finding
from kerasknow.validation.label_count_findings import label_count_findings

#: Images with a side below this are reported (they are upsampled, and carry little detail).
SMALL_IMAGE_SIDE = 32


def _first(example: Dict[str, List[Any]], name: str, default=None):
    values = example.get(name)
    return values[0] if values else default


def _label(example) -> str:
    value = _first(example, "label", b"")
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _hash(example) -> str:
    value = _first(example, "image_sha256")
    if value:
        return value.decode("ascii") if isinstance(value, bytes) else str(value)
    # Examples written by other tools: hash the encoded bytes (finds byte-identical files only).
    return "bytes:" + hashlib.sha256(_first(example, "image", b"")).hexdigest()


def _undecodable(examples: List[Dict[str, List[Any]]]) -> List[Dict[str, str]]:
    """Examples whose `image` TensorFlow's `decode_image` (what training and serving use) rejects."""
    import tensorflow as tf

    bad = []
    for split, ex in examples:
        data = _first(ex, "image", b"")
        try:
            tf.io.decode_image(data, channels=3, expand_animations=False)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
            bad.append({"split": split, "image_sha256": _hash(ex), "label": _label(ex),
                        "error": str(e).splitlines()[0][:200]})
    return bad


def _distribution(values: List[int]) -> Dict[str, float]:
    array = np.asarray(values)
    return {"min": int(array.min()), "median": float(np.median(array)), "max": int(array.max())}


def image_classification_checks(splits: Dict[str, List[Dict[str, List[Any]]]], config: RunConfig) -> List[Finding]:
    """Decodability, sizes, channels, images per label, duplicates and train/eval leakage.

    Args:
        splits: Decoded examples per split (`{"train": [...], "eval": [...]}`), each a dict
            feature name -> list of values (`image`, `label`, `image_sha256`, `height`, `width`,
            `channels`).
        config: The `validation` thresholds (`min_examples_per_label`, `fail_on_conflicting_labels`,
            `max_duplicate_fraction`).

    Returns:
        `Finding`s: `undecodable_images` (error), `image_sizes` (info, or warning when some
        images are under 32 px), `image_channels` (info), `examples_per_label` (info),
        `too_few_examples_per_label` (error), `conflicting_labels` (error, or warning with
        `fail_on_conflicting_labels: false`), `exact_duplicates` (warning), `train_eval_leakage`
        (warning), `eval_labels_unseen_in_train` (warning).

    Example:

    ```python
    findings = image_classification_checks({"train": train, "eval": evals}, RunConfig())
    ```
    """
    checks = config.validation
    findings: List[Finding] = []
    rows = [(split, ex) for split, exs in splits.items() for ex in exs]
    total = len(rows)
    if not total:
        return [Finding("no_examples", "error", "There are no examples to check.", {})]

    bad = _undecodable(rows)
    if bad:
        findings.append(Finding(
            "undecodable_images", "error",
            f"{len(bad)} of {total} images cannot be decoded by TensorFlow's decode_image (first: "
            f"{bad[0]['error']}). Re-ingest them as PNG or JPEG.", {"count": len(bad), "examples": bad[:10]},
            {"data/undecodable_images": len(bad)}))

    heights = [int(_first(ex, "height", 0)) for _, ex in rows]
    widths = [int(_first(ex, "width", 0)) for _, ex in rows]
    if all(heights) and all(widths):
        small = sum(1 for h, w in zip(heights, widths) if min(h, w) < SMALL_IMAGE_SIDE)
        details = {"height": _distribution(heights), "width": _distribution(widths), "small": small,
                   "small_side": SMALL_IMAGE_SIDE}
        text = (f"Image sizes: height min {details['height']['min']}, median {details['height']['median']:g}, "
                f"max {details['height']['max']}; width min {details['width']['min']}, median "
                f"{details['width']['median']:g}, max {details['width']['max']}.")
        if small:
            text += (f" {small} images ({small / total:.1%}) have a side under {SMALL_IMAGE_SIDE} px and are "
                     "upsampled to the model's input size: expect less accuracy than on larger images.")
        findings.append(Finding("image_sizes", "warning" if small else "info", text, details,
                                {"data/median_height": details["height"]["median"],
                                 "data/median_width": details["width"]["median"], "data/small_images": small}))

    channels = collections.Counter(int(_first(ex, "channels", 0)) for _, ex in rows)
    names = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA/CMYK", 0: "unknown"}
    findings.append(Finding("image_channels", "info",
                            "Channels of the original images (all are trained as RGB): "
                            + ", ".join(f"{names.get(c, c)}={n}" for c, n in sorted(channels.items())) + ".",
                            {str(c): n for c, n in sorted(channels.items())}))

    findings.extend(label_count_findings((_label(ex) for ex in splits.get("train", [])),
                                         (_label(ex) for ex in splits.get("eval", [])),
                                         checks.min_examples_per_label, noun="images"))

    by_hash: Dict[str, List[tuple]] = collections.defaultdict(list)
    for split, ex in rows:
        by_hash[_hash(ex)].append((split, _label(ex)))
    conflicts = {h: sorted({lab for _, lab in v}) for h, v in by_hash.items() if len({lab for _, lab in v}) > 1}
    if conflicts:
        findings.append(Finding(
            "conflicting_labels", "error" if checks.fail_on_conflicting_labels else "warning",
            f"{len(conflicts)} images appear with different labels (identical pixels). Fix their labels or "
            f"set {setting('validation.fail_on_conflicting_labels')}: false.",
            {"count": len(conflicts),
             "examples": [{"image_sha256": h, "labels": labs} for h, labs in list(conflicts.items())[:10]]}))
    duplicate_rows = sum(len(v) - 1 for v in by_hash.values() if len(v) > 1)
    if duplicate_rows:
        fraction = duplicate_rows / total
        findings.append(Finding(
            "exact_duplicates", "warning",
            f"{duplicate_rows} images ({fraction:.1%}) repeat an earlier image exactly"
            + (f", above max_duplicate_fraction={checks.max_duplicate_fraction:.1%}"
               if fraction > checks.max_duplicate_fraction else "") + ".",
            {"count": duplicate_rows, "fraction": fraction,
             "examples": [h for h, v in by_hash.items() if len(v) > 1][:5]},
            {"data/duplicate_fraction": fraction}))
    leaked = {h: v for h, v in by_hash.items() if {"train", "eval"} <= {s for s, _ in v}}
    if leaked:
        eval_rows = sum(1 for v in leaked.values() for s, _ in v if s == "eval")
        findings.append(Finding(
            "train_eval_leakage", "warning",
            f"{len(leaked)} distinct images are in both train and eval ({eval_rows} eval examples): eval "
            "accuracy on them measures memory, not generalisation. Deduplicate or re-split by content hash.",
            {"distinct_images": len(leaked), "eval_examples": eval_rows,
             "train_examples": sum(1 for v in leaked.values() for s, _ in v if s == "train"),
             "examples": list(leaked)[:5]},
            {"data/train_eval_leaked_images": len(leaked)}))
    return findings
