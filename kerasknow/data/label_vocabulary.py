"""The label vocabulary an Examples artifact carries beside its splits (`labels.json`)."""
import json
import os
from typing import Iterable, List

LABELS_FILE = "labels.json"


def write_labels(examples_uri: str, labels: Iterable[str]) -> str:
    """Writes the labels, in their order, as `<examples_uri>/labels.json`; returns the file's path.

    Class ids are positions in this list, so training, export and serving agree on them: a first
    run writes them sorted, an update keeps the old order and appends new labels
    (`kerasknow.update.knowledge_merge.merged_labels`).

    Raises:
        ValueError: For a label listed twice.
    """
    from tfx.dsl.io import fileio

    labels = list(labels)
    if len(set(labels)) != len(labels):
        raise ValueError(f"Labels must be distinct. Received: labels={labels!r}")
    path = os.path.join(examples_uri, LABELS_FILE)
    with fileio.open(path, "w") as f:
        f.write(json.dumps(labels))
    return path


def read_labels(examples_uri: str) -> List[str]:
    """The label vocabulary of an Examples artifact (its URI).

    Raises:
        FileNotFoundError: When the artifact has no `labels.json` (not written by KnowledgeExampleGen).
    """
    from tfx.dsl.io import fileio

    path = os.path.join(examples_uri, LABELS_FILE)
    if not fileio.exists(path):
        raise FileNotFoundError(f"No label vocabulary at {path}: expected Examples written by "
                                "KnowledgeExampleGen. Received: examples_uri=" + repr(examples_uri))
    with fileio.open(path, "r") as f:
        return json.loads(f.read())


def examples_uri_of(file_pattern: str) -> str:
    """`<examples uri>` from a split's file pattern `<examples uri>/Split-<name>/*` (TFX's FnArgs)."""
    return os.path.dirname(os.path.dirname(file_pattern))
