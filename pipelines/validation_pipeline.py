"""The first half of the knowledge pipeline on its own: ingest, statistics, schema, knowledge validation."""
from typing import List, Optional

from kerasknow.config import RunConfig

#: Appended to the pipeline name: validation runs have their own pipeline in ML Metadata.
VALIDATE_SUFFIX = "-validate"


def create_validation_pipeline(config: RunConfig, pipeline_root: str, metadata_path: Optional[str] = None,
                               beam_pipeline_args: Optional[List[str]] = None, schema_path: str = "",
                               enable_cache: bool = True):
    """Builds KnowledgeExampleGen -> StatisticsGen -> SchemaGen|ImportSchemaGen -> KnowledgeValidator.

    What a data owner runs before handing knowledge over (`kerasknow validate`): the same
    components, with the same config sections, as `create_pipeline`'s first half, validating the
    knowledge as a first knowledge base (no previous model). Ingest, statistics and the checks
    are Beam pipelines that `beam_pipeline_args` carry (e.g. `--runner=DataflowRunner`, or the
    DirectRunner's `--direct_running_mode=multi_processing --direct_num_workers=N`).

    Args:
        config: The run config.
        pipeline_root: Where TFX writes artifacts.
        metadata_path: SQLite ML Metadata file; None for an orchestrator's own metadata.
        beam_pipeline_args: For the Beam steps. Default: the DirectRunner in one process.
        schema_path: A curated schema to validate against (`kerasknow.local_run.imported_schema`);
            empty to infer it.
        enable_cache: Reuse outputs of steps whose inputs did not change.

    Returns:
        A `tfx.dsl.Pipeline` named `<pipeline name>-validate`.

    Example:

    ```python
    pipeline = create_validation_pipeline(RunConfig(data="bbc/"), "out/validate/tfx", "out/validate/metadata.sqlite")
    ```
    """
    from tfx import v1 as tfx
    from tfx.orchestration import metadata

    from kerasknow.components.knowledge_validator import KnowledgeValidator
    from kerasknow.pipelines.knowledge_pipeline import data_steps

    example_gen, statistics_gen, schema_gen = data_steps(config, schema_path)
    validator = KnowledgeValidator(examples=example_gen.outputs["examples"],
                                   statistics=statistics_gen.outputs["statistics"],
                                   schema=schema_gen.outputs["schema"], config=config)
    return tfx.dsl.Pipeline(
        pipeline_name=config.resolved_pipeline_name() + VALIDATE_SUFFIX,
        pipeline_root=pipeline_root,
        components=[example_gen, statistics_gen, schema_gen, validator],
        enable_cache=enable_cache,
        metadata_connection_config=(metadata.sqlite_metadata_connection_config(metadata_path)
                                    if metadata_path else None),
        beam_pipeline_args=beam_pipeline_args or [],
    )
