"""The image-classification knowledge checks as a Beam transform over the whole data set."""
import apache_beam as beam

from kerasknow.config import RunConfig
from kerasknow.images.image_checks import (CONFLICT_EXAMPLES, DUPLICATE_EXAMPLES, SMALL_IMAGE_SIDE,
                                           UNDECODABLE_EXAMPLES, ImageAggregates, image_findings,
                                           input_size_finding)


class _Facts(beam.DoFn):
    """`example_facts` of one `(split, serialised tf.Example)`: its hash, label, size, channels and
    whether TensorFlow decodes it (the image bytes stay here)."""

    def process(self, element):
        from kerasknow.data.example_codec import decode_example
        from kerasknow.images.image_checks import example_facts

        split, data = element
        yield example_facts(split, decode_example(data))


class _HashGroup(beam.CombineFn):
    """Per image hash: `[examples, labels, train examples, eval examples]`."""

    def create_accumulator(self):
        return [0, set(), 0, 0]

    def add_input(self, acc, value):
        split, label = value
        acc[0] += 1
        acc[1].add(label)
        acc[2] += split == "train"
        acc[3] += split == "eval"
        return acc

    def merge_accumulators(self, accumulators):
        out = self.create_accumulator()
        for n, labels, train, evaluation in accumulators:
            out[0] += n
            out[1] |= labels
            out[2] += train
            out[3] += evaluation
        return out

    def extract_output(self, acc):
        return acc[0], sorted(acc[1]), acc[2], acc[3]


def _counts(pcoll, name: str, value):
    """`value(element) -> key` counted per key, as one list of `(key, count)`."""
    return (pcoll | f"{name}Key" >> beam.Map(value) | f"{name}Count" >> beam.combiners.Count.PerElement()
            | f"{name}List" >> beam.combiners.ToList())


def _first(pcoll, name: str, n: int, key):
    return pcoll | name >> beam.combiners.Top.Of(n, key=key, reverse=True)


class ImageClassificationChecks(beam.PTransform):
    """The image family's `knowledge_checks` over a PCollection of `(split, serialised tf.Example)`.

    Each example is decoded once, in a worker, to its facts (hash, label, size, channels, decodable);
    the images never leave it. Duplicates, conflicting labels and train/eval leakage combine per
    image hash (`CombinePerKey`), sizes and labels into histograms. One element comes out: the list
    of `Finding`s the in-memory checks give on the same examples.

    Args:
        config: `validation` and `model` (the backbone, for the input size).

    Example:

    ```python
    findings = examples | ImageClassificationChecks(cfg)   # one element: [Finding, ...]
    ```
    """

    def __init__(self, config: RunConfig):
        super().__init__()
        self._config = config

    def expand(self, examples):
        from kerasknow.images.image_size_choice import channel_name

        facts = examples | "Facts" >> beam.ParDo(_Facts())
        groups = (facts | "ByHash" >> beam.Map(lambda f: (f["hash"], (f["split"], f["label"])))
                  | "GroupHash" >> beam.CombinePerKey(_HashGroup()))
        bad = (facts | "Undecodable" >> beam.Filter(lambda f: f["problem"])
               | "BadExample" >> beam.Map(lambda f: {"split": f["split"], "image_sha256": f["hash"],
                                                     "label": f["label"], "error": f["problem"]}))
        conflicts = groups | "Conflicts" >> beam.Filter(lambda kv: len(kv[1][1]) > 1)
        repeated = groups | "Repeated" >> beam.Filter(lambda kv: kv[1][0] > 1)
        leaked = groups | "Leaked" >> beam.Filter(lambda kv: kv[1][2] and kv[1][3])
        train = facts | "Train" >> beam.Filter(lambda f: f["split"] == "train")
        sized = train | "Sized" >> beam.Filter(lambda f: f["has_size"])

        def total(pcoll, name):
            return pcoll | name >> beam.combiners.Count.Globally()

        def summed(pcoll, name, value):
            return pcoll | f"{name}Value" >> beam.Map(value) | f"{name}Sum" >> beam.CombineGlobally(sum)

        parts = {
            "total": total(facts, "Total"),
            "undecodable": total(bad, "CountBad"),
            "undecodable_examples": _first(bad, "FirstBad", UNDECODABLE_EXAMPLES,
                                           lambda b: (b["image_sha256"], b["split"], b["label"])),
            "heights": _counts(facts, "Heights", lambda f: f["height"]),
            "widths": _counts(facts, "Widths", lambda f: f["width"]),
            "small": total(facts | "Small" >> beam.Filter(lambda f: min(f["height"], f["width"]) < SMALL_IMAGE_SIDE),
                           "CountSmall"),
            "channels": _counts(facts, "Channels", lambda f: f["channels"]),
            "labels": _counts(facts, "Labels", lambda f: (f["split"], f["label"])),
            "conflicts": total(conflicts, "CountConflicts"),
            "conflict_examples": _first(conflicts, "FirstConflicts", CONFLICT_EXAMPLES, lambda kv: kv[0]),
            "duplicate_rows": summed(repeated, "Repeats", lambda kv: kv[1][0] - 1),
            "duplicate_examples": _first(repeated, "FirstRepeated", DUPLICATE_EXAMPLES, lambda kv: kv[0]),
            "leaked": total(leaked, "CountLeaked"),
            "leaked_eval_rows": summed(leaked, "LeakedEval", lambda kv: kv[1][3]),
            "leaked_train_rows": summed(leaked, "LeakedTrain", lambda kv: kv[1][2]),
            "leaked_examples": _first(leaked, "FirstLeaked", DUPLICATE_EXAMPLES, lambda kv: kv[0]),
            "train_heights": _counts(sized, "TrainHeights", lambda f: f["height"]),
            "train_widths": _counts(sized, "TrainWidths", lambda f: f["width"]),
            "train_channels": _counts(train | "WithChannels" >> beam.Filter(lambda f: f["has_channels"]),
                                      "TrainChannels", lambda f: channel_name(f["channels"])),
        }
        config = self._config
        side = {name: beam.pvalue.AsSingleton(pcoll) for name, pcoll in parts.items()}
        return (examples.pipeline
                | "One" >> beam.Create([None])
                | "Findings" >> beam.Map(lambda _, **values: _findings(values, config), **side))


def _findings(values, config: RunConfig):
    if not values["total"]:
        from kerasknow.validation.finding import Finding

        return [Finding("no_examples", "error", "There are no examples to check.", {})]
    labels = {"train": {}, "eval": {}}
    for (split, label), n in values["labels"]:
        labels.setdefault(split, {})[label] = n
    aggregates = ImageAggregates(
        total=values["total"], undecodable=values["undecodable"],
        undecodable_examples=list(values["undecodable_examples"]),
        heights=dict(values["heights"]), widths=dict(values["widths"]), small=values["small"],
        channels=dict(values["channels"]), train_labels=labels["train"], eval_labels=labels["eval"],
        conflicts=values["conflicts"],
        conflict_examples=[{"image_sha256": h, "labels": g[1]} for h, g in values["conflict_examples"]],
        duplicate_rows=values["duplicate_rows"], duplicate_examples=[h for h, _ in values["duplicate_examples"]],
        leaked=values["leaked"], leaked_eval_rows=values["leaked_eval_rows"],
        leaked_train_rows=values["leaked_train_rows"], leaked_examples=[h for h, _ in values["leaked_examples"]],
        train_heights=dict(values["train_heights"]), train_widths=dict(values["train_widths"]),
        train_channels=dict(values["train_channels"]))
    return image_findings(aggregates, config) + input_size_finding(aggregates, config)
