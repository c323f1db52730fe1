"""Keras Tuner's oracles with a time budget."""
import logging
import time
from typing import Dict, Optional

import keras_tuner
from keras_tuner.engine import trial as trial_module

logger = logging.getLogger(__name__)

_ORACLES = {
    "random": keras_tuner.oracles.RandomSearchOracle,
    "bayesian": keras_tuner.oracles.BayesianOptimizationOracle,
    "hyperband": keras_tuner.oracles.HyperbandOracle,
}
_BOUNDED: Dict[str, type] = {}


def _bounded(algorithm: str) -> type:
    """`algorithm`'s oracle class whose `populate_space` stops the search once the budget is spent."""
    if algorithm not in _BOUNDED:
        base = _ORACLES[algorithm]

        def populate_space(self, trial_id):
            # Called under the oracle's lock for every trial any tuner (or gRPC worker) asks for.
            if self.search_started is None:
                self.search_started = time.monotonic()
            elapsed = time.monotonic() - self.search_started
            if self.time_budget_s and elapsed >= self.time_budget_s:
                if not self.stopped_by:
                    logger.info("Tuner: the time budget of %gs is spent after %d trials; the search keeps the best "
                                "so far", self.time_budget_s, len(self.trials))
                self.stopped_by = "time_budget_s"
                return {"status": trial_module.TrialStatus.STOPPED, "values": None}
            return base.populate_space(self, trial_id)

        _BOUNDED[algorithm] = type(f"Bounded{base.__name__}", (base,), {"populate_space": populate_space})
    return _BOUNDED[algorithm]


def search_oracle(algorithm: str, objective: str, trials: int, epochs: int = 1, seed: Optional[int] = None,
                  time_budget_s: float = 0.0):
    """Keras Tuner's oracle of `algorithm`, stopping after `trials` trials or `time_budget_s` seconds.

    The budget is the oracle's: it starts no trial once `time_budget_s` have passed since it
    created its first, so every tuner (local, or a worker of a distributed search) ends its
    search and the trials that ran keep their scores; the best of them is the search's
    result. A trial running when the budget ends finishes.

    Args:
        algorithm: `random` (`RandomSearchOracle`), `bayesian` (`BayesianOptimizationOracle`)
            or `hyperband` (`HyperbandOracle`, `max_epochs=epochs`).
        objective: The validation metric to maximise.
        trials: The most trials (Hyperband's brackets stop there too).
        epochs: Hyperband's `max_epochs`; the others train each trial `epochs` (the fit's).
        seed: The oracle's seed.
        time_budget_s: Seconds; 0 for no budget.

    Returns:
        A `keras_tuner.Oracle`; its `stopped_by` is `"time_budget_s"` once the budget stopped it.

    Raises:
        ValueError: For an unknown algorithm.

    Example:

    >>> oracle = search_oracle("random", "val_accuracy", trials=3, seed=1, time_budget_s=60)
    >>> type(oracle).__name__, oracle.max_trials
    ('BoundedRandomSearchOracle', 3)
    """
    if algorithm not in _ORACLES:
        raise ValueError(f"Unknown tuning algorithm. Expected one of {sorted(_ORACLES)}. "
                         f"Received: algorithm={algorithm!r}")
    goal = keras_tuner.Objective(objective, direction="max")
    if algorithm == "hyperband":
        oracle = _bounded(algorithm)(objective=goal, max_epochs=epochs, seed=seed)
        # Hyperband sizes its brackets from max_epochs alone; the oracle's own cap stops it at `trials`
        # (and TFX's Tuner executor lists `max_trials` best trials).
        oracle.max_trials = trials
    else:
        oracle = _bounded(algorithm)(objective=goal, max_trials=trials, seed=seed)
    oracle.time_budget_s = float(time_budget_s or 0.0)
    oracle.search_started = None
    oracle.stopped_by = None
    return oracle
