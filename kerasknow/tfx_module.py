"""TFX module-file entry points: `tuner_fn` for the Tuner and `run_fn` for the Trainer.

Users keep the standard TFX components and point them here by import path::

    Tuner(tuner_fn="kerasknow.tfx_module.tuner_fn",
          custom_config={"kerasknow": cfg.to_json(TRAINING_SECTIONS)}, ...)
    Trainer(run_fn="kerasknow.tfx_module.run_fn",
            custom_config={"kerasknow": cfg.to_json(TRAINING_SECTIONS)}, ...)

Both dispatch on the config's task to a `TaskFamily`, so one module serves every family. The
hardware plan is detected once per run here and carried in the `TrainContext`. It sets the
process's global mixed-precision policy; kerasknow's Tuner and Trainer components give it back
when the step ends, TFX's own do not (wrap an in-process run of those in
`kerasknow.training.hardware_plan.keeping_global_policy()`).
"""
import dataclasses
import logging

from kerasknow.config import RunConfig
from kerasknow.data.label_vocabulary import examples_uri_of, read_labels
from kerasknow.family.registry import get_task_family
from kerasknow.training.train_context import TrainContext

logger = logging.getLogger(__name__)

#: The `custom_config` key of the Tuner's and Trainer's kerasknow config.
CONFIG_KEY = "kerasknow"
#: The `custom_config` key of the pipeline run id, added by kerasknow's Tuner and Trainer
#: executors when the execution starts (never a component parameter: TFX caches on those).
RUN_ID_KEY = "kerasknow_run_id"


def _context(fn_args, hyperparameters: dict):
    from kerasknow.update.update_plan import UpdatePlan

    cfg = RunConfig.from_json(fn_args.custom_config[CONFIG_KEY])
    family = get_task_family(cfg.task)
    train_files = list(fn_args.train_files)
    examples_uri = examples_uri_of(train_files[0])
    ctx = TrainContext(
        config=cfg,
        labels=read_labels(examples_uri),
        train_files=train_files,
        eval_files=list(fn_args.eval_files),
        model_run_dir=getattr(fn_args, "model_run_dir", "") or "",
        serving_model_dir=getattr(fn_args, "serving_model_dir", "") or "",
        hyperparameters=hyperparameters,
        run_id=fn_args.custom_config.get(RUN_ID_KEY, ""),
        update=UpdatePlan.read(examples_uri),
    ).with_plan(family)
    # Precision and XLA flags are process-wide: set before any model is built or compiled.
    ctx.plan.apply()
    return family, ctx


#: The `custom_config` key of the carved tuning split's folder, set by the chief for its workers.
TUNING_SPLIT_KEY = "kerasknow_tuning_split"


def tuner_fn(fn_args):
    """Builds the Keras Tuner search TFX's Tuner component runs.

    One search space for every family (`SearchSpace`): `finetune_strategy` among
    `tuning.strategies` (default: `finetune.strategy` alone), each strategy's learning rates,
    LoRA ranks or top_k under its conditional scope, and dropout. `tuning.algorithm` picks Keras
    Tuner's oracle (random, bayesian, hyperband), at most `tuning.trials` trials of
    `tuning.epochs` epochs (Hyperband's `max_epochs`), `tuning.executions_per_trial` each, until
    `tuning.time_budget_s` (`search_oracle`). Trials train on at most `tuning.max_examples`
    examples (every k-th record, so the subsets span every label: `spread_subset`) and are scored
    on a validation split carved from the train split by a hash of each example's content
    (`validation_carve`, `tuning.validation_fraction`): the eval split the blessing scores is
    never seen by the search. With `tuning.parallel_trials` > 1 (or `tuning.trials_per_process`
    set) the step serves the oracle and runs the trials in that many worker processes
    (`TunerWorkers`), each replaced by a fresh one after `trials_per_process` trials. TensorBoard: curves and
    HParams under `<output>/tensorboard/<run>/tuning/trial-<id>`.
    """
    import math
    import os

    import tensorflow as tf
    from keras_tuner.distribute import utils as dist_utils
    from tfx.components.tuner.component import TunerFnResult

    from kerasknow.data.example_codec import decode_example
    from kerasknow.data.validation_carve import validation_carve
    from kerasknow.data.write_examples import split_file
    from kerasknow.training.family_hypermodel import FamilyHyperModel
    from kerasknow.training.knowledge_tuner import KnowledgeTuner
    from kerasknow.training.search_oracle import search_oracle
    from kerasknow.training.training_board import EpochProgress
    from kerasknow.training.tuner_workers import TunerWorkers

    family, ctx = _context(fn_args, {})
    cfg = ctx.config
    tuning = cfg.tuning
    logger.info("Tuner on %s", ctx.plan.describe())
    split_uri = fn_args.custom_config.get(TUNING_SPLIT_KEY) or os.path.join(fn_args.working_dir, "tuning_split")
    if TUNING_SPLIT_KEY not in fn_args.custom_config:
        counts = validation_carve(ctx.train_files, split_uri, tuning.validation_fraction,
                                  lambda raw: family.example_key(decode_example(raw)))
        logger.info("Tuner: %d train and %d validation examples carved from the train split (%.0f%%); the eval "
                    "split is not searched on", counts["train"], counts["validation"],
                    100 * tuning.validation_fraction)
    # Trials train without a moving average of the weights: over a trial's few steps it would
    # still be mostly the starting weights, and score them instead of the trial's.
    search_config = cfg.with_overrides({"training.ema_momentum": 0.0}) if cfg.training.ema_momentum else cfg
    search_ctx = dataclasses.replace(ctx, config=search_config, train_files=[split_file(split_uri, "train")],
                                     eval_files=[split_file(split_uri, "validation")], _cache={})
    # A trial trains tuning.epochs on at most tuning.max_examples: its learning-rate schedule spans that.
    trial_examples = min(search_ctx.num_train_examples(), tuning.max_examples or search_ctx.num_train_examples())
    search_ctx.schedule_steps = tuning.epochs * max(1, math.ceil(trial_examples / cfg.training.batch_size))

    parallel = None
    if (tuning.parallel_trials > 1 or tuning.trials_per_process) and not dist_utils.has_chief_oracle():
        parallel = TunerWorkers(tuning.parallel_trials, {
            "tuner_fn": f"{__name__}.tuner_fn",
            "fn_args": {"custom_config": {**fn_args.custom_config, TUNING_SPLIT_KEY: split_uri},
                        "train_files": list(fn_args.train_files), "eval_files": list(fn_args.eval_files),
                        "working_dir": fn_args.working_dir}}, fn_args.working_dir, tuning.oracle_address,
            trials_per_process=tuning.trials_per_process)
    tuner = KnowledgeTuner(
        oracle=search_oracle(tuning.algorithm, family.tuner_objective, tuning.trials, epochs=tuning.epochs,
                             seed=cfg.training.seed, time_budget_s=tuning.time_budget_s),
        hypermodel=FamilyHyperModel(family, search_ctx),
        executions_per_trial=tuning.executions_per_trial,
        directory=fn_args.working_dir,
        project_name="kerasknow",
        # Workers share the chief's project (Hyperband continues trials from their checkpoints).
        overwrite=not dist_utils.has_chief_oracle(),
        session_prefix=ctx.run_id,
        parallel=parallel,
    )
    train_ds, validation_ds = family.datasets(search_ctx, cfg.training.batch_size, max_examples=tuning.max_examples)
    board = tf.keras.callbacks.TensorBoard(log_dir=ctx.tensorboard_dir("tuning"))
    return TunerFnResult(tuner=tuner, fit_kwargs={
        "x": train_ds, "validation_data": validation_ds, "epochs": tuning.epochs,
        "callbacks": [board, EpochProgress()], "verbose": 2})


def run_fn(fn_args) -> None:
    """Trains the family's model with the tuned hyperparameters and exports the SavedModel.

    On an update (the training examples' `update.json` names a blessed model) the model starts
    from that model's weights and learns by `update.strategy` (`prepare_update`). Beside the
    SavedModel the model artifact keeps the Keras weights and labels (`Format-Keras/`, what the
    next update warm-starts from), the training's cost (examples processed, seconds) and, unless
    `finetune.strategy` is `full`, the trained part on its own (`trainable.npz`: LoRA updates or
    adapters and the head, with the base checkpoint named in `trainable.json`). LoRA updates are
    merged into their kernels before export (`merge_lora`). The trainable parameters' count and
    share go to the step's log and `training.json`.
    TensorBoard: `<output>/tensorboard/<run>/training` (per-epoch and per-step curves, and the
    model's HParams session with its hyperparameters, next to the tuner's trials).
    """
    import json
    import os
    import time

    import keras_tuner
    from tfx.dsl.io import fileio

    from kerasknow.models.lora_merge import merge_lora
    from kerasknow.models.trainable_summary import TrainableSummary
    from kerasknow.training.callbacks import training_callbacks
    from kerasknow.training.search_space import SearchSpace
    from kerasknow.training.training_board import write_hparams_session
    from kerasknow.update.update_training import balanced_update_data, prepare_update
    from kerasknow.update.warm_start import (TRAINABLE_FILE, TRAINABLE_INFO_FILE, WEIGHTS_FILE, keras_dir,
                                             save_trainable_part, save_weights)

    hp = keras_tuner.HyperParameters()
    if getattr(fn_args, "hyperparameters", None):
        hp = keras_tuner.HyperParameters.from_config(fn_args.hyperparameters)
    family, ctx = _context(fn_args, {})
    # The tuned strategy (or, with --no-tune, the space's defaults: finetune.strategy, the first
    # learning rate) in ctx.config.finetune and ctx.hyperparameters, for every part below.
    ctx = SearchSpace.of(family, ctx).context(hp, ctx)
    cfg = ctx.config
    # The trained model beside the tuner's trials in TensorBoard's HParams dashboard.
    write_hparams_session(ctx.tensorboard_dir("training"), ctx.hyperparameters, f"{ctx.run_id} final model".strip())
    strategy = ctx.plan.strategy(cfg.training.tpu)
    logger.info("Training %s on %s with %s", cfg.task, ctx.plan.describe(), ctx.hyperparameters)
    finetune = family.finetune_strategy(ctx)
    with strategy.scope():
        model = family.build_model(hp, ctx)
        prepare_update(family, model, ctx, hp)
    logger.info("Training: %s", TrainableSummary.of(model, finetune).describe())
    train_ds, eval_ds = family.datasets(ctx, cfg.training.batch_size * strategy.num_replicas_in_sync)
    train_ds = balanced_update_data(family, train_ds, ctx)
    start = time.time()
    wait = family.early_stopping_start(ctx)
    if wait and cfg.training.early_stopping_patience:
        logger.info("Early stopping waits %d of the %d epochs", wait, family.epochs(ctx))
    history = family.fit(model, train_ds, eval_ds, training_callbacks(ctx, early_stopping_start=wait), ctx)
    seconds = time.time() - start
    # Images open more of the backbone in their last phase: what training.json records.
    trainable = TrainableSummary.of(model, finetune)
    logger.info("Trained: %s", trainable.describe())
    keep = keras_dir(ctx.serving_model_dir)
    part_bytes = 0
    if finetune != "full":
        # The trained part on its own, before merge_lora folds the LoRA updates away.
        part_bytes = save_trainable_part(model, keep, {
            **trainable.to_dict(), "task": cfg.task,
            # What the part is added to: the checkpoint ("": kerasknow's offline MiniLM) or backbone.
            "base_checkpoint": cfg.model.checkpoint if cfg.task != "image-classification" else cfg.model.backbone,
            "model": dataclasses.asdict(cfg.model), "finetune": dataclasses.asdict(cfg.finetune)})
    # Served models hold plain kernels: LoRA updates folded in, the wrappers gone.
    merged = merge_lora(model)
    if merged:
        logger.info("Merged %d LoRA updates into their kernels for serving", merged)
    family.export(model, ctx.serving_model_dir, ctx)
    epochs = sum(len(h.epoch) for h in getattr(history, "phases", [history]))
    save_weights(model, keep, ctx.labels, training={
        "epochs": epochs, "train_examples": ctx.num_train_examples(),
        "examples_processed": epochs * ctx.num_train_examples(), "seconds": round(seconds, 1),
        # The epochs a retrain of this knowledge would take (an update halves the default).
        "full_epochs": cfg.training.epochs or family.default_epochs(ctx),
        "strategy": ctx.update.strategy if ctx.update else "first",
        "finetune": {**trainable.to_dict(), "trainable_part_bytes": part_bytes}})
    if part_bytes:
        with fileio.open(os.path.join(keep, WEIGHTS_FILE), "rb") as f:
            full_bytes = len(f.read())
        # The part's size next to the whole model's, where the part is kept.
        info_path = os.path.join(keep, TRAINABLE_INFO_FILE)
        with fileio.open(info_path, "r") as f:
            info = json.loads(f.read())
        with fileio.open(info_path, "w") as f:
            f.write(json.dumps({**info, "full_model_file": WEIGHTS_FILE, "full_model_bytes": full_bytes}, indent=2))
        logger.info("Format-Keras: the trained part %s is %.2f MB, the whole model's %s %.2f MB (%.1f%%)",
                    TRAINABLE_FILE, part_bytes / 1e6, WEIGHTS_FILE, full_bytes / 1e6, 100 * part_bytes / full_bytes)
    if ctx.update is not None and ctx.update.summary.get("knowledge_artifacts"):
        from kerasknow.update.previous_knowledge import PreviousKnowledge

        # The next update finds the knowledge base this model learnt here.
        PreviousKnowledge(**ctx.update.summary["knowledge_artifacts"]).write(keep)
