"""The knowledge pipeline, the same shape for every task family.

KnowledgeExampleGen -> StatisticsGen -> SchemaGen | ImportSchemaGen -> KnowledgeValidator ->
Tuner -> Trainer -> KnowledgeEvaluator -> KnowledgePusher.
"""
from typing import List, Optional

from kerasknow.config import RunConfig

TUNER_FN = "kerasknow.tfx_module.tuner_fn"
RUN_FN = "kerasknow.tfx_module.run_fn"


def create_pipeline(config: RunConfig, pipeline_root: str, metadata_path: Optional[str] = None,
                    beam_pipeline_args: Optional[List[str]] = None, schema_path: str = "",
                    enable_tuning: bool = True, enable_cache: bool = True):
    """Builds the TFX pipeline for `config.task`; runs nothing.

    Args:
        config: The run config (validated already by its constructor).
        pipeline_root: Where TFX writes artifacts.
        metadata_path: SQLite ML Metadata file for local runs; `None` for orchestrators that
            bring their own metadata (Kubeflow).
        beam_pipeline_args: Carried to the Beam-based steps (StatisticsGen, SchemaGen), e.g.
            `["--runner=DataflowRunner", ...]`, `--runner=FlinkRunner`, `--runner=SparkRunner`.
            Default: Beam's DirectRunner in one process (fastest for small knowledge bases; pass
            `--direct_running_mode=multi_processing --direct_num_workers=0` for all cores).
        schema_path: The schema to validate against (`schema.pbtxt`: the user's, or the one a first
            run kept); empty to infer it.
        enable_tuning: When False the Trainer uses the first value of each hyperparameter.
        enable_cache: Reuse outputs of steps whose inputs did not change.

    Returns:
        A `tfx.dsl.Pipeline`.

    Example:

    ```python
    pipeline = create_pipeline(RunConfig(data="bbc/"), "out/tfx", "out/metadata.sqlite")
    tfx.orchestration.LocalDagRunner().run(pipeline)
    ```
    """
    from tfx import v1 as tfx
    from tfx.orchestration import metadata

    from kerasknow.components.knowledge_evaluator import KnowledgeEvaluator
    from kerasknow.components.knowledge_example_gen import KnowledgeExampleGen
    from kerasknow.components.knowledge_pusher import KnowledgePusher
    from kerasknow.components.knowledge_validator import KnowledgeValidator
    from kerasknow.tfx_module import CONFIG_KEY
    from kerasknow.training.train_context import TRAINING_SECTIONS

    # The Tuner and Trainer are handed only the sections a training run reads, so changing a
    # blessing or serving setting does not train again.
    custom_config = {CONFIG_KEY: config.to_json(TRAINING_SECTIONS)}
    # Tuner and Trainer take no schema input on purpose: the schema switches from inferred to the
    # kept one after the first run, and that must not invalidate their cached outputs.
    example_gen = KnowledgeExampleGen(config=config)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    if schema_path:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    else:
        schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"],
                                              infer_feature_shape=False)
    validator = KnowledgeValidator(examples=example_gen.outputs["examples"],
                                   statistics=statistics_gen.outputs["statistics"],
                                   schema=schema_gen.outputs["schema"], config=config)
    components = [example_gen, statistics_gen, schema_gen, validator]

    hyperparameters = None
    if enable_tuning:
        tuner = tfx.components.Tuner(
            tuner_fn=TUNER_FN, examples=example_gen.outputs["examples"],
            train_args=tfx.proto.TrainArgs(num_steps=0), eval_args=tfx.proto.EvalArgs(num_steps=0),
            custom_config=custom_config)
        # Training must wait for validation to pass, though it reads no validator output.
        tuner.add_upstream_node(validator)
        components.append(tuner)
        hyperparameters = tuner.outputs["best_hyperparameters"]
    trainer = tfx.components.Trainer(
        run_fn=RUN_FN, examples=example_gen.outputs["examples"],
        hyperparameters=hyperparameters, train_args=tfx.proto.TrainArgs(num_steps=0),
        eval_args=tfx.proto.EvalArgs(num_steps=0), custom_config=custom_config)
    trainer.add_upstream_node(validator)
    evaluator = KnowledgeEvaluator(model=trainer.outputs["model"], examples=example_gen.outputs["examples"],
                                   config=config)
    pusher = KnowledgePusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                             examples=example_gen.outputs["examples"], config=config)
    components += [trainer, evaluator, pusher]

    return tfx.dsl.Pipeline(
        pipeline_name=config.resolved_pipeline_name(),
        pipeline_root=pipeline_root,
        components=components,
        enable_cache=enable_cache,
        metadata_connection_config=(metadata.sqlite_metadata_connection_config(metadata_path)
                                    if metadata_path else None),
        beam_pipeline_args=beam_pipeline_args or [],
    )
