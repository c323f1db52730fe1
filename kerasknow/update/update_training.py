"""Turns a freshly built model into an update's: warm start, and the strategy's extra loss."""
import dataclasses
import logging

from kerasknow.training.train_context import TrainContext

logger = logging.getLogger(__name__)


def prepare_update(family, model, ctx: TrainContext, hp=None, for_tuning: bool = False) -> None:
    """Applies `ctx.update` to `model` (built and compiled by `family.build_model(hp, ctx)`).

    - every strategy but `retrain`: the blessed model's weights (`warm_start`), the head grown
      for new labels with the old rows kept;
    - `ewc`: the diagonal-Fisher penalty toward those weights, measured on the replay sample;
    - `lwf`, `replay+lwf`: distillation on the old model's outputs for the old classes.
    Trials of the Keras Tuner (`for_tuning`) get the warm start only.

    Does nothing on a first run.
    """
    plan = ctx.update
    if plan is None or not plan.is_update or not ctx.config.update.warm_start:
        return
    from kerasknow.update.warm_start import warm_start

    grown = warm_start(model, plan.base_weights, ctx.labels)
    if for_tuning:
        return
    strategy = ctx.config.update.strategy
    logger.info("Update (%s) from %s: %d old labels, %d now", strategy, plan.previous_model, len(plan.old_labels),
                len(ctx.labels))
    if strategy == "ewc":
        from kerasknow.update.ewc_penalty import add_ewc_penalty, fisher_diagonal

        sample = old_sample_dataset(family, ctx)
        fisher = fisher_diagonal(model, sample, grown, len(plan.old_labels))
        add_ewc_penalty(model, fisher, ctx.config.update.ewc_lambda)
    elif strategy in ("lwf", "replay+lwf"):
        from kerasknow.update.distillation import install_distillation

        teacher = old_model(family, ctx, hp)
        install_distillation(model, teacher, len(plan.old_labels), ctx.config.update.lwf_weight,
                             ctx.config.update.lwf_temperature, probabilities=family.outputs_probabilities)


def old_sample_dataset(family, ctx: TrainContext):
    """Batches of the replay sample (`Split-old_sample`), for the Fisher information."""
    from kerasknow.data.label_vocabulary import examples_uri_of

    # A file pattern, as TFX gives the train split: KnowledgeBase writes Beam's shards.
    sample_file = f"{examples_uri_of(ctx.train_files[0])}/Split-old_sample/*"
    view = dataclasses.replace(ctx, train_files=[sample_file], eval_files=[sample_file], _cache=dict(ctx._cache))
    train, _ = family.datasets(view, ctx.config.training.batch_size)
    return train


def old_model(family, ctx: TrainContext, hp=None):
    """The blessed model itself (its labels, its weights), frozen: LwF's teacher."""
    import keras_tuner

    from kerasknow.update.warm_start import warm_start

    plan = ctx.update
    view = dataclasses.replace(ctx, labels=list(plan.old_labels), _cache=dict(ctx._cache))
    teacher = family.build_model(hp if hp is not None else keras_tuner.HyperParameters(), view)
    warm_start(teacher, plan.base_weights, plan.old_labels)
    teacher.trainable = False
    return teacher



def balanced_update_data(family, train_ds, ctx: TrainContext):
    """`train_ds` with each example weighted by its class (`kerasknow.update.class_balance`) on a
    warm-started classifier update with `update.class_balance` above 0; as it is otherwise.

    The counts are KnowledgeBase's (`training_labels` in the update plan's summary): the labels
    of the training set it wrote, replayed and new examples alike.
    """
    plan = ctx.update
    cfg = ctx.config.update
    if (plan is None or not plan.is_update or not cfg.warm_start or not cfg.class_balance
            or not family.weights_update_classes):
        return train_ds
    from kerasknow.errors import ConfigError
    from kerasknow.update.class_balance import class_weights, weighted_by_class

    counts = plan.summary.get("training_labels")
    if counts is None:
        raise ConfigError("update.class_balance needs the training set's label counts, which KnowledgeBase "
                          "writes in the training examples' update.json; this one has none (an older kerasknow "
                          "wrote it). Received: training_labels=None. Rerun the update, or set "
                          "update.class_balance: 0.")
    weights = class_weights(ctx.labels, counts, cfg.class_balance)
    logger.info("Update: classes weighted in the loss (update.class_balance %s: %s)", cfg.class_balance,
                ", ".join(f"{label} x{weight:.2f}" for label, weight in zip(ctx.labels, weights) if label in counts))
    return weighted_by_class(train_ds, weights)
