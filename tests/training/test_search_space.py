"""One search space for every family: the strategy, and each strategy's own hyperparameters."""
import keras_tuner
import pytest

from kerasknow.config import RunConfig
from kerasknow.training.search_space import SearchSpace
from kerasknow.training.train_context import TrainContext


def _trials(space, n, folder, seed=0):
    """Values of `n` trials Keras Tuner's random oracle samples from the space."""
    oracle = keras_tuner.oracles.RandomSearchOracle(keras_tuner.Objective("val_accuracy", "max"), max_trials=n,
                                                    seed=seed)
    oracle._set_project_dir(str(folder), "p")
    hp = oracle.get_space()
    space.declare(hp)
    oracle.update_space(hp)
    trials = []
    for i in range(n):
        trial = oracle.create_trial(f"t{i}")
        if trial.status == "RUNNING":
            trials.append(trial.hyperparameters)
    return trials


def test_by_default_only_the_configured_strategy_is_searched_as_before(tmp_path):
    cfg = RunConfig(task="text-classification", output=str(tmp_path))
    hp = keras_tuner.HyperParameters()
    trial = SearchSpace(cfg.spec, cfg).declare(hp)
    assert hp.values == {"finetune_strategy": "full", "learning_rate": 1e-4, "dropout": 0.1}
    assert trial == {"finetune_strategy": "full", "learning_rate": 1e-4, "dropout": 0.1, "lora_rank": None,
                     "top_k": None}


def test_each_strategy_samples_only_its_own_hyperparameters(tmp_path):
    cfg = RunConfig(task="image-classification", output=str(tmp_path),
                    tuning={"strategies": ["head", "top_k", "bitfit"], "top_ks": [1, 2, 3], "epochs": 2,
                            "learning_rates": {"head": [3e-3]}})
    space = SearchSpace(cfg.spec, cfg)
    trials = _trials(space, 12, tmp_path)
    seen = set()
    for hp in trials:
        values = hp.values
        strategy = values["finetune_strategy"]
        seen.add(strategy)
        trial = space.declare(hp)
        assert set(values) == {"finetune_strategy", f"learning_rate_{strategy}", "dropout"} | (
            {"top_k"} if strategy == "top_k" else set())
        assert trial["learning_rate"] == values[f"learning_rate_{strategy}"]
        # The images' default rates for every strategy but head, which the config gave its own.
        assert trial["learning_rate"] in ([3e-3] if strategy == "head" else [2e-3, 1e-3])
        if strategy == "top_k":
            assert trial["top_k"] in (1, 2, 3)
        else:
            assert trial["top_k"] is None
            with pytest.raises(ValueError, match="top_k is currently inactive"):
                hp.get("top_k")
    assert seen == {"head", "top_k", "bitfit"}


def test_bert_families_take_lora_and_adapter_with_their_own_rates(tmp_path):
    cfg = RunConfig(task="ner", output=str(tmp_path), tuning={"strategies": ["full", "lora", "adapter"],
                                                              "lora_ranks": [4, 16]})
    space = SearchSpace(cfg.spec, cfg)
    assert space.learning_rates("full") == [1e-4, 5e-5]
    assert space.learning_rates("lora") == [2e-3, 1e-3] and space.learning_rates("adapter") == [1e-3, 3e-4]
    for hp in _trials(space, 8, tmp_path, seed=3):
        trial = space.declare(hp)
        assert (trial["lora_rank"] in (4, 16)) == (trial["finetune_strategy"] == "lora")


def test_the_trial_context_holds_the_trial_strategy_and_rank(tmp_path):
    cfg = RunConfig(task="text-classification", output=str(tmp_path),
                    finetune={"strategy": "auto", "lora_rank": 8},
                    tuning={"strategies": ["auto", "lora"], "lora_ranks": [2]})
    ctx = TrainContext(cfg, ["a", "b"], ["t.gz"], ["e.gz"], "", "", {})
    space = SearchSpace(cfg.spec, cfg)
    assert space.strategies == ["full", "lora"]  # auto resolved: the family's default
    hp = keras_tuner.HyperParameters()
    hp.values["finetune_strategy"] = "lora"
    trial_ctx = space.context(hp, ctx)
    assert (trial_ctx.config.finetune.strategy, trial_ctx.config.finetune.lora_rank) == ("lora", 2)
    assert trial_ctx.hyperparameters == {"finetune_strategy": "lora", "learning_rate_lora": 2e-3,
                                         "lora_rank": 2, "dropout": 0.1}
    assert ctx.config.finetune.strategy == "auto"  # the search's own context is unchanged
