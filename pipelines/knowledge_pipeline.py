"""The knowledge pipeline, the same shape for every task family and for first runs and updates.

KnowledgeExampleGen -> StatisticsGen -> SchemaGen | ImportSchemaGen -> KnowledgeValidator ->
KnowledgeBase -> Tuner -> Trainer -> KnowledgeEvaluator -> KnowledgePusher, with the `previous_knowledge`
resolver (the latest blessed model and the knowledge base it learnt, from ML Metadata) feeding
the validator (drift, schema evolution, conflicts), the knowledge base (the update's training
set), the Trainer (warm start) and the evaluator (forgetting). On a first run it resolves nothing
and the same nodes build the first model.
"""
from typing import List, Optional

from kerasknow.config import RunConfig

TUNER_FN = "kerasknow.tfx_module.tuner_fn"
RUN_FN = "kerasknow.tfx_module.run_fn"


def data_steps(config: RunConfig, schema_path: str = ""):
    """KnowledgeExampleGen, StatisticsGen and SchemaGen (ImportSchemaGen for a curated schema):
    the start of both the knowledge pipeline and the validation pipeline.

    Returns:
        `(example_gen, statistics_gen, schema_gen)`.
    """
    from tfx import v1 as tfx

    from kerasknow.components.knowledge_example_gen import KnowledgeExampleGen

    example_gen = KnowledgeExampleGen(config=config)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    if schema_path:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=schema_path)
    else:
        schema_gen = tfx.components.SchemaGen(statistics=statistics_gen.outputs["statistics"],
                                              infer_feature_shape=False)
    return example_gen, statistics_gen, schema_gen


def previous_knowledge_resolver(examples, kubeflow: bool = False):
    """The `previous_knowledge` resolver node: the blessed model an update builds on.

    Locally `PreviousKnowledgeStrategy` (the newest blessed model not trained on `examples`, so a
    rerun is cached); compiled for Kubeflow, TFX's `LatestBlessedModelStrategy` (the only
    strategies its compiler takes).
    """
    from tfx import v1 as tfx
    from tfx.types import standard_artifacts

    from kerasknow.update.previous_knowledge_strategy import PreviousKnowledgeStrategy

    model = tfx.dsl.Channel(type=standard_artifacts.Model, producer_component_id="Trainer", output_key="model")
    blessing = tfx.dsl.Channel(type=standard_artifacts.ModelBlessing, producer_component_id="KnowledgeEvaluator",
                               output_key="blessing")
    if kubeflow:
        return tfx.dsl.Resolver(strategy_class=tfx.dsl.experimental.LatestBlessedModelStrategy, model=model,
                                model_blessing=blessing).with_id("previous_knowledge")
    return tfx.dsl.Resolver(strategy_class=PreviousKnowledgeStrategy, model=model, model_blessing=blessing,
                            examples=examples).with_id("previous_knowledge")


def create_pipeline(config: RunConfig, pipeline_root: str, metadata_path: Optional[str] = None,
                    beam_pipeline_args: Optional[List[str]] = None, schema_path: str = "",
                    enable_tuning: bool = True, enable_cache: bool = True, kubeflow: bool = False):
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
        schema_path: A curated schema (`schema.pbtxt`) to validate the first knowledge against,
            at a content-addressed path (`kerasknow.local_run.imported_schema`) so an edited file
            is imported again; empty to infer it. Updates validate against the schema the
            previous knowledge base kept.
        enable_tuning: When False the Trainer uses the first value of each hyperparameter.
        enable_cache: Reuse outputs of steps whose inputs did not change.
        kubeflow: Build it for Kubeflow's compiler (TFX's own resolver strategy).

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

    from kerasknow.components.knowledge_base import KnowledgeBase
    from kerasknow.components.knowledge_evaluator import KnowledgeEvaluator
    from kerasknow.components.knowledge_pusher import KnowledgePusher
    from kerasknow.components.knowledge_training import KnowledgeTrainer, KnowledgeTuner
    from kerasknow.components.knowledge_validator import KnowledgeValidator
    from kerasknow.tfx_module import CONFIG_KEY
    from kerasknow.training.train_context import TRAINING_SECTIONS

    # The Tuner and Trainer are handed only the sections a training run reads, so changing a
    # blessing or serving setting does not train again.
    custom_config = {CONFIG_KEY: config.to_json(TRAINING_SECTIONS)}
    # The Tuner and Trainer are TFX's own with executors that tell the module file the run id
    # (components/knowledge_training).
    example_gen, statistics_gen, schema_gen = data_steps(config, schema_path)
    previous = previous_knowledge_resolver(example_gen.outputs["examples"], kubeflow=kubeflow)
    validator = KnowledgeValidator(examples=example_gen.outputs["examples"],
                                   statistics=statistics_gen.outputs["statistics"],
                                   schema=schema_gen.outputs["schema"], config=config,
                                   previous_model=previous.outputs["model"])
    knowledge_base = KnowledgeBase(examples=example_gen.outputs["examples"], schema=validator.outputs["kept_schema"],
                                   config=config, previous_model=previous.outputs["model"])
    training = knowledge_base.outputs["training"]
    components = [example_gen, statistics_gen, schema_gen, previous, validator, knowledge_base]

    hyperparameters = None
    if enable_tuning:
        tuner = KnowledgeTuner(
            tuner_fn=TUNER_FN, examples=training,
            train_args=tfx.proto.TrainArgs(num_steps=0), eval_args=tfx.proto.EvalArgs(num_steps=0),
            custom_config=custom_config).with_id("Tuner")
        components.append(tuner)
        hyperparameters = tuner.outputs["best_hyperparameters"]
    # base_model records in ML Metadata what an update warm-started from; the module file reads
    # the same model's path from the training examples' update.json (the Tuner has no such input).
    trainer = KnowledgeTrainer(
        run_fn=RUN_FN, examples=training, base_model=previous.outputs["model"],
        hyperparameters=hyperparameters, train_args=tfx.proto.TrainArgs(num_steps=0),
        eval_args=tfx.proto.EvalArgs(num_steps=0), custom_config=custom_config).with_id("Trainer")
    evaluator = KnowledgeEvaluator(model=trainer.outputs["model"], examples=training, config=config,
                                   baseline_model=previous.outputs["model"])
    pusher = KnowledgePusher(model=trainer.outputs["model"], model_blessing=evaluator.outputs["blessing"],
                             examples=training, config=config)
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
