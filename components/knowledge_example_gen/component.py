"""KnowledgeExampleGen component."""
import hashlib
import os

from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import channel_utils, standard_artifacts

from kerasknow.components.component_keys import CONFIG_KEY, EXAMPLES_KEY, INPUT_FINGERPRINT_KEY, REJECTS_KEY
from kerasknow.components.knowledge_artifacts import KnowledgeRejects
from kerasknow.components.knowledge_example_gen import executor
from kerasknow.components.knowledge_example_gen.spec import KnowledgeExampleGenSpec
from kerasknow.config import RunConfig, setting
from kerasknow.errors import DataError


def fingerprint_inputs(path: str) -> str:
    """A fingerprint of every file under `path` (names, sizes, modification times).

    TFX caches a component on its inputs and parameters; this component has no input artifacts,
    so the fingerprint is the parameter that makes a rerun on changed data ingest again.
    """
    if "://" in path:
        # Remote data (gs://, s3://) is fingerprinted by its path only; bump the path or disable
        # the cache to re-ingest changed remote data.
        return f"uri-{path}"
    if not os.path.exists(path):
        raise DataError(f"Knowledge data not found ({setting('data')}). Received: data={path!r}")
    h = hashlib.sha256()
    paths = [path] if os.path.isfile(path) else sorted(
        os.path.join(d, f) for d, _, files in os.walk(path) for f in files)
    for p in paths:
        st = os.stat(p)
        h.update(f"{os.path.relpath(p, path)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return f"{len(paths)}-files-{h.hexdigest()[:16]}"


class KnowledgeExampleGen(base_component.BaseComponent):
    """Reads knowledge data with the task family's reader into tf.Example splits.

    Outputs `examples` (GZIP TFRecords in `Split-train/` and `Split-eval/`, plus `labels.json`,
    the label vocabulary) and `rejects` (every unusable record with file, line and reason). The
    split is hash-based on each record's key, so a record keeps its split when data is added.
    The run fails, after writing the rejects report, past `ingest.max_reject_fraction`.

    Args:
        config: The run config; the component keeps `data` and the `ingest` section
            (`CONFIG_SECTIONS`), and fingerprints `config.data` at pipeline-definition time.

    Example:

    ```python
    gen = KnowledgeExampleGen(config=RunConfig(data="bbc/"))
    statistics = StatisticsGen(examples=gen.outputs["examples"])
    ```
    """

    SPEC_CLASS = KnowledgeExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)
    #: The config it reads: TFX re-runs ingest exactly when these change (or the files do).
    CONFIG_SECTIONS = executor.CONFIG_SECTIONS

    def __init__(self, config: RunConfig):
        super().__init__(spec=KnowledgeExampleGenSpec(**{
            CONFIG_KEY: config.to_json(self.CONFIG_SECTIONS),
            INPUT_FINGERPRINT_KEY: fingerprint_inputs(config.data),
            EXAMPLES_KEY: channel_utils.as_channel([standard_artifacts.Examples()]),
            REJECTS_KEY: channel_utils.as_channel([KnowledgeRejects()]),
        }))
