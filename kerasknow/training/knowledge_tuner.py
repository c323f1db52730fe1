"""Keras Tuner's tuner for kerasknow's trials: any oracle, named TensorBoard runs, parallel workers."""
import gc
import json
import os
from typing import Any, Dict, Optional

import keras_tuner
from keras_tuner.distribute import utils as dist_utils

from kerasknow.training.training_board import EpochProgress
from kerasknow.training.tuner_workers import peak_rss_mb


class _ProcessShareDone(Exception):
    """This process ran its `trials_per_process`; the search ends here, not at the oracle."""


def trial_hparams(hp) -> Dict[str, Any]:
    """The active hyperparameters of a trial, as TensorBoard's HParams plugin takes them.

    Keras Tuner's own conversion lists every hyperparameter of the space, twice for a name
    declared under two conditional scopes (`learning_rate` per strategy); a trial runs with one
    value of each active name.

    Example:

    >>> hp = keras_tuner.HyperParameters()
    >>> _ = hp.Choice("finetune_strategy", ["lora", "full"])
    >>> with hp.conditional_scope("finetune_strategy", ["lora"]):
    ...     _ = hp.Choice("lora_rank", [4, 8])
    >>> with hp.conditional_scope("finetune_strategy", ["full"]):
    ...     _ = hp.Choice("top_k", [1, 2])
    >>> trial_hparams(hp)
    {'finetune_strategy': 'lora', 'lora_rank': 4}
    """
    values = {}
    for entry in hp.space:
        if hp.is_active(entry) and entry.name in hp.values:
            value = hp.values[entry.name]
            if isinstance(value, (bool, int, float, str)):
                values[entry.name] = value
    # Hyperband's bookkeeping (`tuner/epochs`, ...) is in the values, not the space.
    for name, value in hp.values.items():
        if name.startswith("tuner/") and isinstance(value, (bool, int, float, str)):
            values[name] = value
    return values


class KnowledgeTuner(keras_tuner.Tuner):
    """`keras_tuner.Tuner` on any oracle (`search_oracle`), with kerasknow's trial layout.

    - Each execution of a trial is a TensorBoard run `<logdir>/trial-<id>` (Keras Tuner's own
      layout is `<logdir>/<id>/execution0`) and an HParams session named
      `<session_prefix> trial-<id>` with the trial's active hyperparameters (`trial_hparams`:
      the strategy and what it tunes); the prefix (the pipeline run id) keeps the trials of every
      run in one logdir apart.
    - `EpochProgress` bars say `trial i/n`.
    - A hypermodel with `declares_space` (`FamilyHyperModel`) declares the search space without
      building a model (Keras Tuner otherwise builds it until every conditional scope was active).
    - Hyperband's trials train from `tuner/initial_epoch` to `tuner/epochs`, continuing the
      checkpoint of `tuner/trial_id` (as `keras_tuner.Hyperband` does).
    - With `parallel` (a `kerasknow.training.tuner_workers.TunerWorkers`), `search` serves the
      oracle to worker processes over Keras Tuner's gRPC protocol and waits for them, instead of
      running trials itself. A worker (started with `KERASTUNER_TUNER_ID`,
      `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`) records the trials it ran in
      `<directory>/workers/<tuner id>.<pid>.json`, with its peak memory; with
      `trials_per_process` set it ends its search after that many trials (a fresh process
      goes on).

    Args:
        oracle: The `keras_tuner.Oracle`.
        hypermodel: The `keras_tuner.HyperModel` (`FamilyHyperModel`).
        session_prefix: Put before each trial's HParams session name.
        parallel: Workers to run the search with; None to run it here.
        **kwargs: `keras_tuner.Tuner`'s (`directory`, `project_name`, `overwrite`,
            `executions_per_trial`, ...).
    """

    def __init__(self, oracle, hypermodel, session_prefix: str = "", parallel: Optional[Any] = None, **kwargs):
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
        self.session_prefix = session_prefix
        self.parallel = parallel
        self.trials_run = []
        #: Trials this process runs before its search ends (0: until the oracle stops it).
        self.trials_per_process = 0

    # ---- the search ----------------------------------------------------------------------
    def _populate_initial_space(self):
        # Keras Tuner builds the model until every conditional scope was active once; a hypermodel
        # that declares its whole space (FamilyHyperModel) spares each process those builds.
        if not getattr(self.hypermodel, "declares_space", False):
            return super()._populate_initial_space()
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def search(self, *fit_args, **fit_kwargs):
        if self.parallel is not None and not dist_utils.has_chief_oracle():
            self.parallel.run(self.oracle)
            return
        try:
            super().search(*fit_args, **fit_kwargs)
        except _ProcessShareDone:
            self.on_search_end()

    def pre_create_trial(self):
        super().pre_create_trial()
        # Before asking the oracle: a trial it handed out here would stay running for nobody.
        if self.trials_per_process and len(self.trials_run) >= self.trials_per_process:
            raise _ProcessShareDone()

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        self.trials_run.append(trial.trial_id)
        # A trial's model and graph go before the next is built (with clear_session in build).
        gc.collect()

    def on_search_end(self):
        super().on_search_end()
        if dist_utils.has_chief_oracle():
            folder = os.path.join(self.directory, "workers")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{self.tuner_id}.{os.getpid()}.json"), "w") as f:
                json.dump({"tuner_id": self.tuner_id, "process": os.getpid(), "trials": self.trials_run,
                           "peak_rss_mb": peak_rss_mb()}, f)

    # ---- Hyperband's epochs and checkpoints ----------------------------------------------
    def run_trial(self, trial, *fit_args, **fit_kwargs):
        values = trial.hyperparameters.values
        if "tuner/epochs" in values:
            fit_kwargs["epochs"] = values["tuner/epochs"]
            fit_kwargs["initial_epoch"] = values["tuner/initial_epoch"]
        return super().run_trial(trial, *fit_args, **fit_kwargs)

    def _build_hypermodel(self, hp):
        model = super()._build_hypermodel(hp)
        if "tuner/trial_id" in hp.values:
            model.load_weights(self._get_checkpoint_fname(hp.values["tuner/trial_id"]))
        return model

    # ---- TensorBoard ---------------------------------------------------------------------
    def _get_tensorboard_dir(self, logdir, trial_id, execution):
        name = f"trial-{trial_id}" + (f"-execution{execution}" if execution else "")
        return os.path.join(str(logdir), name)

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        from tensorboard.plugins.hparams import api as hparams_api

        for callback in list(callbacks):
            if callback.__class__.__name__ == "TensorBoard":
                callback.log_dir = self._get_tensorboard_dir(callback.log_dir, trial.trial_id, execution)
                session = f"{self.session_prefix} {os.path.basename(callback.log_dir)}".strip()
                callbacks.append(hparams_api.KerasCallback(
                    writer=callback.log_dir, hparams=trial_hparams(trial.hyperparameters), trial_id=session))
            elif isinstance(callback, EpochProgress):
                number = int(trial.trial_id) + 1 if str(trial.trial_id).isdigit() else trial.trial_id
                callback.label = f"trial {number}/{self.oracle.max_trials}"
