"""Knowledge checks for labelled images that TFDV lacks."""
import collections
import dataclasses
import hashlib
from typing import Any, Dict, List

from kerasknow.config import RunConfig, setting
from kerasknow.validation.finding import Finding
from kerasknow.validation.histograms import histogram_median
from kerasknow.validation.label_count_findings import counted_label_findings

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


def decode_problem(data: bytes) -> str:
    """Why TensorFlow's `decode_image` (what training and serving use) rejects `data`; "" when it decodes."""
    import tensorflow as tf

    try:
        tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
        return str(e).splitlines()[0][:200]
    return ""


def example_facts(split: str, example: Dict[str, List[Any]]) -> Dict[str, Any]:
    """What the image checks read of one decoded example (the Beam transform's row)."""
    return {"split": split, "hash": _hash(example), "label": _label(example),
            "height": int(_first(example, "height", 0)), "width": int(_first(example, "width", 0)),
            "channels": int(_first(example, "channels", 0)), "has_size": bool(example.get("height"))
            and bool(example.get("width")), "has_channels": bool(example.get("channels")),
            "problem": decode_problem(_first(example, "image", b""))}


def _distribution(histogram: Dict[int, int]) -> Dict[str, float]:
    return {"min": int(min(histogram)), "median": histogram_median(histogram), "max": int(max(histogram))}


#: Examples a finding lists, at most.
UNDECODABLE_EXAMPLES = 10
CONFLICT_EXAMPLES = 10
DUPLICATE_EXAMPLES = 5


@dataclasses.dataclass
class ImageAggregates:
    """What the image checks measure over the whole data set: counts, histograms, capped examples.

    Capped examples are the first by image hash (then split and label): an order every Beam
    worker computes alike.
    """

    total: int
    undecodable: int
    undecodable_examples: List[Dict[str, str]]
    heights: Dict[int, int]
    widths: Dict[int, int]
    small: int
    channels: Dict[int, int]
    train_labels: Dict[str, int]
    eval_labels: Dict[str, int]
    conflicts: int
    conflict_examples: List[Dict[str, Any]]
    duplicate_rows: int
    duplicate_examples: List[str]
    leaked: int
    leaked_eval_rows: int
    leaked_train_rows: int
    leaked_examples: List[str]
    train_heights: Dict[int, int]
    train_widths: Dict[int, int]
    train_channels: Dict[str, int]


def hash_group(values) -> Dict[str, Any]:
    """Per image hash: examples, labels, examples per split (what `CombinePerKey` keeps per image)."""
    group = {"n": 0, "labels": set(), "splits": collections.Counter()}
    for split, label in values:
        group["n"] += 1
        group["labels"].add(label)
        group["splits"][split] += 1
    return group


def aggregate_facts(facts: List[Dict[str, Any]]) -> ImageAggregates:
    """`ImageAggregates` from every example's `example_facts`, in memory."""
    from kerasknow.images.image_size_choice import channel_name

    by_hash = collections.defaultdict(list)
    for f in facts:
        by_hash[f["hash"]].append((f["split"], f["label"]))
    groups = {h: hash_group(v) for h, v in by_hash.items()}
    bad = sorted(({"split": f["split"], "image_sha256": f["hash"], "label": f["label"], "error": f["problem"]}
                  for f in facts if f["problem"]), key=lambda b: (b["image_sha256"], b["split"], b["label"]))
    conflicts = sorted(h for h, g in groups.items() if len(g["labels"]) > 1)
    repeated = sorted(h for h, g in groups.items() if g["n"] > 1)
    leaked = sorted(h for h, g in groups.items() if g["splits"]["train"] and g["splits"]["eval"])
    train = [f for f in facts if f["split"] == "train"]
    return ImageAggregates(
        total=len(facts), undecodable=len(bad), undecodable_examples=bad[:UNDECODABLE_EXAMPLES],
        heights=dict(collections.Counter(f["height"] for f in facts)),
        widths=dict(collections.Counter(f["width"] for f in facts)),
        small=sum(1 for f in facts if min(f["height"], f["width"]) < SMALL_IMAGE_SIDE),
        channels=dict(collections.Counter(f["channels"] for f in facts)),
        train_labels=dict(collections.Counter(f["label"] for f in train)),
        eval_labels=dict(collections.Counter(f["label"] for f in facts if f["split"] == "eval")),
        conflicts=len(conflicts),
        conflict_examples=[{"image_sha256": h, "labels": sorted(groups[h]["labels"])}
                           for h in conflicts[:CONFLICT_EXAMPLES]],
        duplicate_rows=sum(g["n"] - 1 for g in groups.values() if g["n"] > 1),
        duplicate_examples=repeated[:DUPLICATE_EXAMPLES],
        leaked=len(leaked), leaked_eval_rows=sum(groups[h]["splits"]["eval"] for h in leaked),
        leaked_train_rows=sum(groups[h]["splits"]["train"] for h in leaked),
        leaked_examples=leaked[:DUPLICATE_EXAMPLES],
        train_heights=dict(collections.Counter(f["height"] for f in train if f["has_size"])),
        train_widths=dict(collections.Counter(f["width"] for f in train if f["has_size"])),
        train_channels=dict(collections.Counter(channel_name(f["channels"]) for f in train if f["has_channels"])))


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
    rows = [(split, ex) for split, exs in splits.items() for ex in exs]
    if not rows:
        return [Finding("no_examples", "error", "There are no examples to check.", {})]
    return image_findings(aggregate_facts([example_facts(split, ex) for split, ex in rows]), config)


def image_findings(agg: ImageAggregates, config: RunConfig) -> List[Finding]:
    """The image checks' findings from their aggregates (in memory or from Beam alike)."""
    checks = config.validation
    findings: List[Finding] = []
    total = agg.total
    if not total:
        return [Finding("no_examples", "error", "There are no examples to check.", {})]

    if agg.undecodable:
        bad = agg.undecodable_examples
        findings.append(Finding(
            "undecodable_images", "error",
            f"{agg.undecodable} of {total} images cannot be decoded by TensorFlow's decode_image (first: "
            f"{bad[0]['error']}). Re-ingest them as PNG or JPEG.", {"count": agg.undecodable, "examples": bad},
            {"data/undecodable_images": agg.undecodable}))

    if 0 not in agg.heights and 0 not in agg.widths:
        small = agg.small
        details = {"height": _distribution(agg.heights), "width": _distribution(agg.widths), "small": small,
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

    channels = agg.channels
    names = {1: "grey", 2: "grey+alpha", 3: "RGB", 4: "RGBA/CMYK", 0: "unknown"}
    findings.append(Finding("image_channels", "info",
                            "Channels of the original images (all are trained as RGB): "
                            + ", ".join(f"{names.get(c, c)}={n}" for c, n in sorted(channels.items())) + ".",
                            {str(c): n for c, n in sorted(channels.items())}))

    findings.extend(counted_label_findings(agg.train_labels, agg.eval_labels, checks.min_examples_per_label,
                                           noun="images"))

    if agg.conflicts:
        findings.append(Finding(
            "conflicting_labels", "error" if checks.fail_on_conflicting_labels else "warning",
            f"{agg.conflicts} images appear with different labels (identical pixels). Fix their labels or "
            f"set {setting('validation.fail_on_conflicting_labels')}: false.",
            {"count": agg.conflicts, "examples": list(agg.conflict_examples)}))
    duplicate_rows = agg.duplicate_rows
    if duplicate_rows:
        fraction = duplicate_rows / total
        findings.append(Finding(
            "exact_duplicates", "warning",
            f"{duplicate_rows} images ({fraction:.1%}) repeat an earlier image exactly"
            + (f", above max_duplicate_fraction={checks.max_duplicate_fraction:.1%}"
               if fraction > checks.max_duplicate_fraction else "") + ".",
            {"count": duplicate_rows, "fraction": fraction, "examples": list(agg.duplicate_examples)},
            {"data/duplicate_fraction": fraction}))
    if agg.leaked:
        findings.append(Finding(
            "train_eval_leakage", "warning",
            f"{agg.leaked} distinct images are in both train and eval ({agg.leaked_eval_rows} eval examples): eval "
            "accuracy on them measures memory, not generalisation. Deduplicate or re-split by content hash.",
            {"distinct_images": agg.leaked, "eval_examples": agg.leaked_eval_rows,
             "train_examples": agg.leaked_train_rows, "examples": list(agg.leaked_examples)},
            {"data/train_eval_leaked_images": agg.leaked}))
    return findings


def input_size_finding(agg: ImageAggregates, config: RunConfig) -> List[Finding]:
    """`image_input_size` (info): the size the model will see, from the train split's median sizes."""
    from kerasknow.images.backbones import pretrained_image_size
    from kerasknow.images.image_size_choice import choose_image_size

    if not agg.train_heights or not agg.train_widths:
        return []
    model = config.model
    choice = choose_image_size(histogram_median(agg.train_heights), histogram_median(agg.train_widths),
                               pretrained_image_size(model.backbone, model.backbone_weights), model.image_size,
                               dict(agg.train_channels))
    return [Finding("image_input_size", "info",
                    f"The model will see {choice.describe()}; set {setting('model.image_size')} to choose another size.",
                    {"size": choice.size, "reason": choice.reason, "channels": dict(agg.train_channels)},
                    {"data/model_input_size": choice.size})]
