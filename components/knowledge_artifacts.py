"""Artifact types of kerasknow's components.

They are plain directories of reports; four tiny type declarations share this module because a
file each would hold nothing but a name.
"""
from tfx.types.artifact import Artifact


class KnowledgeRejects(Artifact):
    """Records ingest could not use: `rejects.jsonl`, `rejects.txt`, `summary.json`."""

    TYPE_NAME = "kerasknow.KnowledgeRejects"


class KnowledgeReport(Artifact):
    """Knowledge-validation report: `report.json`, `report.txt`."""

    TYPE_NAME = "kerasknow.KnowledgeReport"


class KnowledgeEvaluation(Artifact):
    """Evaluation of an exported model: `metrics.json`, `metrics.txt`."""

    TYPE_NAME = "kerasknow.KnowledgeEvaluation"


class KnowledgePreflight(Artifact):
    """Whether TF Serving would load and answer the model: `preflight.json`, `preflight.txt`."""

    TYPE_NAME = "kerasknow.KnowledgePreflight"
