"""A task family as a Keras Tuner `HyperModel`: its model per trial, trained as the family trains."""
import dataclasses
import gc
import logging

import keras_tuner

from kerasknow.training.search_space import SearchSpace
from kerasknow.training.train_context import TrainContext

logger = logging.getLogger(__name__)


class FamilyHyperModel(keras_tuner.HyperModel):
    """Builds and fits a family's model for each trial of the search.

    `build(hp)` hands the family a context whose `finetune` section is the trial's
    (`SearchSpace.context`: its strategy, LoRA rank, top_k), so the BERT families apply the
    trial's strategy by model surgery, and an update warm-starts it (`prepare_update`). `fit`
    trains it through the family's phases when there are several (images: the head on the
    frozen backbone, then what the strategy opens, over the trial's epochs), else with
    `model.fit` as Keras Tuner does (Hyperband's `initial_epoch` included).

    Args:
        family: The `TaskFamily`.
        ctx: The search's context (its train and validation files, `schedule_steps`).
    """

    def __init__(self, family, ctx: TrainContext):
        super().__init__(name=f"kerasknow-{family.name}")
        self.family = family
        self.ctx = ctx

    #: `declare_hyperparameters` declares the whole space: the tuner need not build models to find it.
    declares_space = True

    def declare_hyperparameters(self, hp) -> None:
        """Declares every trial's hyperparameters, each strategy's scope included (`SearchSpace`)."""
        SearchSpace.of(self.family, self.ctx).declare(hp)

    def trial_context(self, hp) -> TrainContext:
        """The context of `hp`'s trial."""
        return SearchSpace.of(self.family, self.ctx).context(hp, self.ctx)

    def build(self, hp):
        import tensorflow as tf

        from kerasknow.models.trainable_summary import TrainableSummary
        from kerasknow.update.update_training import prepare_update

        # Keras Tuner's memory grows across trials unless the graph is cleared (keras-tuner#873).
        tf.keras.backend.clear_session()
        gc.collect()
        ctx = self.trial_context(hp)
        model = self.family.build_model(hp, ctx)
        prepare_update(self.family, model, ctx, hp, for_tuning=True)
        logger.info("Trial: %s", TrainableSummary.of(model, self.family.finetune_strategy(ctx)).describe())
        return model

    def fit(self, hp, model, *args, **kwargs):
        epochs = int(kwargs.get("epochs", 1)) - int(kwargs.get("initial_epoch", 0))
        cfg = self.trial_context(hp).config
        ctx = dataclasses.replace(self.trial_context(hp),
                                  config=dataclasses.replace(cfg, training=dataclasses.replace(
                                      cfg.training, epochs=max(1, epochs))))
        phases = self.family.phases(model, ctx)
        if len(phases) == 1:
            return model.fit(*args, **kwargs)
        train_ds = kwargs.pop("x", args[0] if args else None)
        return self.family.fit(model, train_ds, kwargs.get("validation_data"), kwargs.get("callbacks", []), ctx)
