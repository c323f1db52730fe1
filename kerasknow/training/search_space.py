"""The one Keras Tuner search space of every family: the strategy, and what each strategy tunes."""
import contextlib
import dataclasses
from typing import Any, Dict, List, Optional

from kerasknow.training.train_context import TrainContext

#: The hyperparameter naming the trial's `finetune.strategy`.
STRATEGY = "finetune_strategy"


@dataclasses.dataclass(frozen=True)
class SearchSpace:
    """Declares the hyperparameters of a family's trials on a `keras_tuner.HyperParameters`.

    `finetune_strategy` is a choice among `tuning.strategies` (default: only `finetune.strategy`),
    and each strategy's own hyperparameters sit under its conditional scope, so Keras Tuner
    samples them only in trials of that strategy (inactive ones read `None` and are not in the
    trial's values): `learning_rate_<strategy>` (`learning_rate` when one strategy is searched;
    a range per strategy: `tuning.learning_rates` or the family's `TaskSpec.learning_rates_of`),
    `lora_rank` (`lora` only, `tuning.lora_ranks`) and `top_k` (`top_k` only, `tuning.top_ks`). `dropout` applies to every strategy. The families
    build from `declare(hp)`; the Tuner and the Trainer hand them `context(hp, ctx)`, whose
    `finetune` section holds the trial's strategy, rank and top_k.

    Args:
        spec: The family's `kerasknow.task_spec.TaskSpec`.
        config: The run config (its `finetune` and `tuning` sections).

    Example:

    >>> import keras_tuner
    >>> from kerasknow.config import RunConfig
    >>> cfg = RunConfig(task="text-classification", tuning={"strategies": ["full", "lora"]})
    >>> hp = keras_tuner.HyperParameters()
    >>> trial = SearchSpace(cfg.spec, cfg).declare(hp)
    >>> trial["finetune_strategy"], trial["learning_rate"], trial["lora_rank"], sorted(hp.values)
    ('full', 0.0001, None, ['dropout', 'finetune_strategy', 'learning_rate_full'])
    """

    spec: Any
    config: Any

    @classmethod
    def of(cls, family, ctx: TrainContext) -> "SearchSpace":
        """The space of `family` under `ctx.config`."""
        return cls(family.spec, ctx.config)

    @property
    def strategies(self) -> List[str]:
        """The strategies searched, `auto` resolved, in the config's order, without repeats."""
        named = self.config.tuning.strategies or [self.config.finetune.strategy]
        resolved = [self.spec.finetune_strategy(s) for s in named]
        return list(dict.fromkeys(resolved))

    def learning_rates(self, strategy: str) -> List[float]:
        """The learning-rate choices of `strategy`."""
        rates = self.config.tuning.learning_rates
        if isinstance(rates, dict):
            rates = rates.get(strategy) or (rates.get("auto") if strategy == self.spec.finetune_strategy("auto")
                                            else None)
        return list(rates or self.spec.learning_rates_of(strategy))

    def declare(self, hp) -> Dict[str, Optional[Any]]:
        """Declares the space on `hp` (again: Keras Tuner returns the values it holds).

        Returns:
            `finetune_strategy`, `learning_rate` (the trial's strategy's), `dropout`, `lora_rank`,
            `top_k` of this trial; a strategy's hyperparameter is `None` in trials of other
            strategies.
        """
        tuning, finetune = self.config.tuning, self.config.finetune
        strategy = hp.Choice(STRATEGY, self.strategies)
        values = {STRATEGY: strategy, "learning_rate": None, "lora_rank": None, "top_k": None}
        for name in self.strategies:
            with self._scope(hp, name):
                rate = hp.Choice(self.learning_rate_name(name), self.learning_rates(name))
                if name == "lora":
                    values["lora_rank"] = hp.Choice("lora_rank", tuning.lora_ranks or [finetune.lora_rank])
                if name == "top_k":
                    values["top_k"] = hp.Choice("top_k", tuning.top_ks or [finetune.top_k])
            if name == strategy:
                values["learning_rate"] = rate
        values["dropout"] = hp.Choice("dropout", tuning.dropouts)
        return values

    def learning_rate_name(self, strategy: str) -> str:
        """The learning rate's hyperparameter in trials of `strategy`: `learning_rate` when one
        strategy is searched, else `learning_rate_<strategy>` (Keras Tuner 1.3's oracles drop the
        value of a name declared under two scopes)."""
        return "learning_rate" if len(self.strategies) == 1 else f"learning_rate_{strategy}"

    def _scope(self, hp, strategy: str):
        # One strategy: no condition, so the values and HParams read as before strategies existed.
        if len(self.strategies) == 1:
            return contextlib.nullcontext()
        return hp.conditional_scope(STRATEGY, [strategy])

    def context(self, hp, ctx: TrainContext) -> TrainContext:
        """`ctx` with its `finetune` section set to `hp`'s trial (strategy, `lora_rank`, `top_k`)
        and `hyperparameters` to the trial's values; the same data caches."""
        values = self.declare(hp)
        cfg = ctx.config
        finetune = dataclasses.replace(
            cfg.finetune, strategy=values[STRATEGY],
            lora_rank=values["lora_rank"] if values["lora_rank"] is not None else cfg.finetune.lora_rank,
            top_k=values["top_k"] if values["top_k"] is not None else cfg.finetune.top_k)
        return dataclasses.replace(ctx, config=dataclasses.replace(cfg, finetune=finetune),
                                   hyperparameters=dict(hp.values))
