"""The knowledge base a model learnt, named inside its model artifact (`Format-Keras/knowledge.json`).

KnowledgeBase writes the URIs of its `knowledge`, `knowledge_statistics` and `knowledge_schema`
artifacts into the training examples' `update.json`; the Trainer copies them into the model
artifact. An update resolves the blessed model (`PreviousKnowledgeStrategy`, or TFX's
`LatestBlessedModelStrategy` on Kubeflow) and finds the knowledge base it builds on here: every
URI is an artifact ML Metadata knows.
"""
import dataclasses
import json
import os
from typing import Optional

KNOWLEDGE_FILE = "knowledge.json"


@dataclasses.dataclass(frozen=True)
class PreviousKnowledge:
    """Where a model's knowledge base is.

    Args:
        knowledge: The KnowledgeBase's `knowledge` Examples artifact URI (`train`/`eval`, `labels.json`).
        statistics: Its `knowledge_statistics` artifact URI (TFDV, StatisticsGen's layout).
        schema: Its `knowledge_schema` artifact URI (`schema.pbtxt`).
        examples: The new examples that run ingested (KnowledgeExampleGen's artifact URI).
        size: Examples in the knowledge base.
    """

    knowledge: str
    statistics: str
    schema: str
    examples: str
    size: int

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    def write(self, directory: str) -> str:
        from tfx.dsl.io import fileio

        fileio.makedirs(directory)
        path = os.path.join(directory, KNOWLEDGE_FILE)
        with fileio.open(path, "w") as f:
            f.write(self.to_json())
        return path

    @classmethod
    def of_model(cls, model_uri: str) -> Optional["PreviousKnowledge"]:
        """The knowledge base of the model artifact at `model_uri`; None for a model without one."""
        from tfx.dsl.io import fileio

        from kerasknow.update.warm_start import KERAS_DIR

        path = os.path.join(model_uri, KERAS_DIR, KNOWLEDGE_FILE)
        if not fileio.exists(path):
            return None
        with fileio.open(path, "r") as f:
            return cls(**json.loads(f.read()))

    def statistics_of(self, split: str):
        """The TFDV `DatasetFeatureStatisticsList` of one split of the knowledge base, or None."""
        from tensorflow_metadata.proto.v0 import statistics_pb2
        from tfx.components.statistics_gen import stats_artifact_utils
        from tfx.dsl.io import fileio

        path = os.path.join(self.statistics, f"Split-{split}", stats_artifact_utils.BINARY_PB_BASENAME)
        if not fileio.exists(path):
            return None
        stats = statistics_pb2.DatasetFeatureStatisticsList()
        with fileio.open(path, "rb") as f:
            stats.ParseFromString(f.read())
        return stats

    def read_schema(self):
        """The schema the knowledge base was kept with."""
        from tfx.utils import io_utils

        return io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(self.schema))
