"""The NER knowledge checks as a Beam transform over the whole data set."""
import apache_beam as beam

from kerasknow.config import RunConfig
from kerasknow.ner.ner_checks import _EXAMPLES, NerAggregates, invalid_order, mismatch_order, ner_findings

#: Sentences measured per call of the tokenizer (as `piece_lengths` batches them).
_BATCH = 512


class _Facts(beam.DoFn):
    """`sentence_facts` of one `(split, serialised tf.Example)`, and its tokens when they match its tags."""

    def process(self, element):
        from kerasknow.data.example_codec import decode_example
        from kerasknow.ner.ner_checks import sentence_facts, strings

        split, data = element
        example = decode_example(data)
        tokens, tags = strings(example.get("tokens", [])), strings(example.get("tags", []))
        facts = sentence_facts(split, tokens, tags)
        facts["tokens"] = tokens if facts["mismatch"] is None else None
        yield facts


class _PieceLengths(beam.DoFn):
    """Word pieces with [CLS]/[SEP] of a batch of `(split, tokens)`, with the tokenizer training uses."""

    def __init__(self, config: RunConfig):
        self._config = config

    def setup(self):
        from kerasknow.text.run_tokenizer import run_tokenizer

        self._tokenizer = run_tokenizer(self._config)

    def process(self, batch):
        from kerasknow.ner.ner_checks import piece_lengths

        lengths = piece_lengths([tokens for _, tokens in batch], self._config, self._tokenizer)
        for (split, tokens), n in zip(batch, lengths):
            yield split, tokens, n


def _counts(pcoll, name, value):
    return (pcoll | f"{name}Key" >> beam.FlatMap(value) | f"{name}Count" >> beam.combiners.Count.PerElement()
            | f"{name}List" >> beam.combiners.ToList())


class NerChecks(beam.PTransform):
    """`ner_checks` over a PCollection of `(split, serialised tf.Example)`.

    Each sentence becomes its facts in a worker (mismatched counts, unknown tags, invalid `I-`
    continuations, entity mentions, its word-piece length); mentions and tags count per split,
    lengths into a histogram, and each finding keeps its first examples (`Top.Of` by sentence
    text, then split), so no worker holds the sentences. One element comes out: the list of
    `Finding`s the in-memory checks give on the same examples.

    Args:
        config: `validation`, `ingest.repair_bio` and `model` (the tokenizer, `max_seq_length`).

    Example:

    ```python
    findings = examples | NerChecks(cfg)   # one element: [Finding, ...]
    ```
    """

    def __init__(self, config: RunConfig):
        super().__init__()
        self._config = config

    def expand(self, examples):
        max_length = self._config.model.max_seq_length
        facts = examples | "Facts" >> beam.ParDo(_Facts())
        good = facts | "Matching" >> beam.Filter(lambda f: f["mismatch"] is None)
        mismatched = facts | "Mismatched" >> beam.Filter(lambda f: f["mismatch"] is not None)
        invalid = good | "Invalid" >> beam.FlatMap(lambda f: [(f["order"], i["position"], i) for i in f["invalid"]])
        lengths = (good | "Tokens" >> beam.Map(lambda f: (f["split"], f["tokens"]))
                   | "BatchSentences" >> beam.BatchElements(min_batch_size=16, max_batch_size=_BATCH)
                   | "PieceLengths" >> beam.ParDo(_PieceLengths(self._config)))
        long_ = (lengths | "Long" >> beam.Filter(lambda r: r[2] > max_length)
                 | "LongExample" >> beam.Map(lambda r: ((" ".join(r[1])[:100], r[0], " ".join(r[1])),
                                                        {"split": r[0], "word_pieces": r[2],
                                                         "text": " ".join(r[1])[:100]})))
        parts = {
            "sentences": facts | "CountSentences" >> beam.combiners.Count.Globally(),
            "mismatched": mismatched | "CountMismatched" >> beam.combiners.Count.Globally(),
            "mismatch_examples": (mismatched | "MismatchOrder" >> beam.Map(lambda f: (f["order"], f["mismatch"]))
                                  | "FirstMismatched" >> beam.combiners.Top.Of(_EXAMPLES, key=mismatch_order,
                                                                             reverse=True)),
            "unknown_tags": _counts(good, "Unknown", lambda f: f["unknown"]),
            "invalid_bio": invalid | "CountInvalid" >> beam.combiners.Count.Globally(),
            "invalid_examples": (invalid | "FirstInvalid" >> beam.combiners.Top.Of(
                _EXAMPLES, key=invalid_order, reverse=True)),
            "mentions": _counts(good, "Mentions", lambda f: [(f["split"], t) for t in f["mentions"]]),
            "splits": _counts(good, "Splits", lambda f: [f["split"]]),
            "tags": _counts(good, "Tags", lambda f: [(f["split"], t) for t in f["tags"]]),
            "lengths": _counts(lengths, "Lengths", lambda r: [r[2]]),
            "truncated_examples": long_ | "FirstLong" >> beam.combiners.Top.Of(_EXAMPLES, key=lambda t: t[0],
                                                                               reverse=True),
        }
        config = self._config
        side = {name: beam.pvalue.AsSingleton(pcoll) for name, pcoll in parts.items()}
        return (examples.pipeline
                | "One" >> beam.Create([None])
                | "Findings" >> beam.Map(lambda _, **values: _findings(values, config), **side))


def _findings(values, config: RunConfig):
    mentions = {split: {} for split, _ in values["splits"]}
    for (split, type_), n in values["mentions"]:
        mentions[split][type_] = n
    tags = {split: [] for split, _ in values["splits"]}
    for (split, tag), _ in values["tags"]:
        tags[split].append(tag)
    agg = NerAggregates(
        sentences=values["sentences"], mismatched=values["mismatched"],
        mismatch_examples=[m for _, m in values["mismatch_examples"]],
        unknown_tags=dict(values["unknown_tags"]), invalid_bio=values["invalid_bio"],
        invalid_examples=[i for _, _, i in values["invalid_examples"]], mentions=mentions,
        tags_by_split={split: sorted(t) for split, t in tags.items()}, lengths=dict(values["lengths"]),
        truncated_examples=[e for _, e in values["truncated_examples"]])
    return ner_findings(agg, config)
