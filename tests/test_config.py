import json

import pytest

from kerasknow.config import RunConfig, SectionNotGiven, setting
from kerasknow.config.settings import config_flags
from kerasknow.errors import ConfigError


def test_defaults_and_paths():
    cfg = RunConfig(data="d", output="out")
    assert cfg.serving_model_dir() == "out/serving/knowledge"
    assert cfg.resolved_pipeline_name() == "kerasknow-text-classification"
    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_sections_take_dicts():
    cfg = RunConfig(task="image-classification", training={"epochs": 5}, tuning={"trials": 3})
    assert (cfg.training.epochs, cfg.training.batch_size, cfg.tuning.trials) == (5, 16, 3)
    assert cfg.tuning.learning_rates is None  # the family chooses (SearchSpace.learning_rates)
    assert RunConfig().training.epochs is None and RunConfig().blessing.min_f1 is None


def test_a_step_sees_only_its_sections():
    cfg = RunConfig(task="ner", data="x.conll", blessing={"min_f1": 0.4})
    text = cfg.to_json(["blessing"])
    assert set(json.loads(text)) == {"task", "output", "blessing"}
    view = RunConfig.from_json(text)
    assert view.blessing.min_f1 == 0.4 and view.task == "ner"
    assert isinstance(view.training, SectionNotGiven)
    with pytest.raises(ConfigError, match=r"not handed the config section 'training' \(it read training.epochs\)"):
        view.training.epochs  # noqa: B018
    # The JSON is canonical: equal configs give equal text, so TFX's cache key is stable.
    assert RunConfig(task="ner", blessing={"min_f1": 0.4}).to_json(["blessing"]) == text
    with pytest.raises(ConfigError, match=r"holds no 'training' section"):
        view.to_json(["training"])


@pytest.mark.parametrize("kwargs, message", [
    ({"task": "nope"}, r"--task must be one of .* Received: task='nope'"),
    ({"ingest": {"eval_fraction": 0.0}},
     r"--eval-fraction / ingest.eval_fraction must be a number in \(0, 1\). Received: eval_fraction=0.0"),
    ({"ingest": {"max_reject_fraction": 1.5}}, r"--max-reject-fraction .* must be a number in \[0, 1\]"),
    ({"training": {"epochs": 0}}, r"--epochs / training.epochs must be an integer >= 1. Received: epochs=0"),
    ({"model": {"max_seq_length": 1024}}, r"max_seq_length must be at most 512"),
    ({"training": {"xla": "maybe"}}, r"--xla / training.xla must be one of 'auto', 'on', 'off'"),
    ({"tuning": {"learning_rates": [0]}},
     r"tuning.learning_rates \(YAML only: \"tuning: {learning_rates: ...}\" in --config FILE\) must be a list of "
     r"positive numbers"),
    ({"tuning": {"learning_rates": {"lora": []}}}, r"tuning.learning_rates .* or a mapping from strategies to such "
     r"lists. Received: learning_rates={'lora': \[\]}"),
    ({"tuning": {"strategies": ["full", "qlora"]}},
     r"--tune-strategies / tuning.strategies must be a list among auto, full.*Received: strategies=\['full', 'qlora'\]"),
    ({"task": "image-classification", "tuning": {"strategies": ["head", "lora"]}},
     r"--tune-strategies / tuning.strategies may name only the strategies image-classification takes: auto, full, "
     r"head, top_k, bitfit. Received: strategies=\['head', 'lora'\]"),
    ({"task": "image-classification", "tuning": {"strategies": ["head", "top_k", "bitfit"]}},
     r"A search over several image-classification strategies needs --tuner-epochs / tuning.epochs of at least 2: "
     r"bitfit, top_k train the head alone .* Received: epochs=1, strategies=\['head', 'top_k', 'bitfit'\]. "
     r"Fix: pass --tuner-epochs 2"),
    ({"tuning": {"lora_ranks": [0]}}, r"--tune-lora-ranks / tuning.lora_ranks must be a list of integers >= 1"),
    ({"tuning": {"algorithm": "grid"}},
     r"--tuner / tuning.algorithm must be one of 'random', 'bayesian', 'hyperband'. Received: algorithm='grid'"),
    ({"tuning": {"algorithm": "hyperband"}}, r"--tuner / tuning.algorithm hyperband continues the best trials to "
     r"--tuner-epochs / tuning.epochs, which must then be at least 2 \(Hyperband's max_epochs\). Received: epochs=1"),
    ({"tuning": {"time_budget_s": -1}}, r"--tuner-time-budget / tuning.time_budget_s must be a number of seconds >= 0"),
    ({"tuning": {"executions_per_trial": 0}}, r"--executions-per-trial / tuning.executions_per_trial must be an "
     r"integer >= 1"),
    ({"tuning": {"validation_fraction": 1.0}},
     r"--tuner-validation-fraction / tuning.validation_fraction must be a number in \(0, 1\)"),
    ({"tuning": {"parallel_trials": 0}}, r"--parallel-trials / tuning.parallel_trials must be an integer >= 1"),
    ({"tuning": {"trials_per_process": -1}},
     r"--trials-per-process / tuning.trials_per_process must be an integer >= 0. Received: trials_per_process=-1"),
    ({"tuning": {"oracle_address": "localhost"}},
     r"--oracle-address / tuning.oracle_address must be host:port \(port 0: a free one\). "
     r"Received: oracle_address='localhost'"),
    ({"model": {"backbone_weights": ""}}, r"--backbone-weights / model.backbone_weights is empty. .*'none' to train"),
    ({"serving": {"model_name": "a/b"}}, r"--model-name / serving.model_name must be a non-empty folder"),
    ({"serving": {"model_name": ".."}}, r"and not '.' or '..'"),
    ({"serving": {"keep_versions": -1}}, r"--keep-versions / serving.keep_versions must be an integer >= 0"),
    ({"serving": {"warmup_requests": 1001}},
     r"--warmup-requests / serving.warmup_requests must be at most 1000 \(TF Serving refuses"),
    ({"serving": {"canary": "yes"}},
     r"serving.canary \(YAML only: \"serving: {canary: ...}\" in --config FILE\) "
     r"must be true or false. Received: canary='yes'"),
    ({"serving": {"server": "localhost"}},
     r"serving.server \(YAML only: \"serving: {server: ...}\" in --config FILE\) "
     r"must be empty or host:port"),
    ({"serving": {"max_batch_size": 0}},
     r"serving.max_batch_size \(YAML only: \"serving: {max_batch_size: ...}\" in --config FILE\) "
     r"must be an integer >= 1"),
    ({"serving": {"label_wait_seconds": 0}},
     r"serving.label_wait_seconds \(YAML only: \"serving: {label_wait_seconds: ...}\" in --config FILE\) "
     r"must be a number of seconds > 0"),
    ({"task": "ner", "ingest": {"input_format": "csv"}},
     r"--input-format / ingest.input_format must be one of auto, conll for ner. Received: input_format='csv'"),
    ({"task": "image-classification", "ingest": {"input_format": "conll"}}, r"must be one of auto, folder, idx"),
    ({"training": {"epochz": 1}}, r"Unknown fields \['epochz'\] in config section 'training'"),
    ({"task": "image-classification", "training": {"ema_momentum": 1.0}},
     r"--ema-momentum / training.ema_momentum must be a number in \[0, 1\) \(0: off\). Received: ema_momentum=1.0"),
    ({"task": "text-classification", "training": {"ema_momentum": 0.99}},
     r"--ema-momentum / training.ema_momentum is for image-classification only for now; text-classification trains "
     r"without a moving average of its weights. Received: ema_momentum=0.99. Fix: drop --ema-momentum"),
])
def test_invalid_values_fail_at_construction(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**kwargs)


def test_a_yaml_config_on_another_file_system():
    from kerasknow.data.file_system import write_file

    write_file("ram://config-test/c.yaml", "task: ner\ndata: gs://b/wnut.conll\noutput: gs://b/run\n")
    cfg = RunConfig.from_yaml("ram://config-test/c.yaml")
    assert (cfg.task, cfg.data, cfg.output) == ("ner", "gs://b/wnut.conll", "gs://b/run")
    with pytest.raises(ConfigError, match="Config file not found. Received: --config 'ram://config-test/no.yaml'"):
        RunConfig.from_yaml("ram://config-test/no.yaml")


def test_yaml_sections_overrides_and_unknown_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("task: text-classification\ndata: a\ntraining:\n  epochs: 3\n")
    cfg = RunConfig.from_yaml(str(path), {"data": "b", "training.epochs": None, "blessing.min_f1": 0.5})
    assert (cfg.data, cfg.training.epochs, cfg.blessing.min_f1) == ("b", 3, 0.5)
    path.write_text("epochs: 3\n")
    with pytest.raises(ConfigError, match=r"c.yaml: Unknown top-level config keys \['epochs'\]. 'epochs' belongs "
                                          r"in the 'training' section"):
        RunConfig.from_yaml(str(path))
    with pytest.raises(ConfigError, match="Config file not found"):
        RunConfig.from_yaml(str(tmp_path / "missing.yaml"))
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        RunConfig.from_yaml(str(path))
    with pytest.raises(ConfigError, match=r"Unknown config setting 'training.epochz'"):
        RunConfig().with_overrides({"training.epochz": 1})


def test_packaged_configs_load_and_cli_flags_name_real_fields():
    import glob
    import os

    import kerasknow

    configs = glob.glob(os.path.join(os.path.dirname(kerasknow.__file__), "configs", "*.yaml"))
    assert {RunConfig.from_yaml(p).task for p in configs} == {"text-classification", "ner", "image-classification"}
    for flag in config_flags():
        RunConfig().with_overrides({flag.path: None})  # every flag's path is a real field
    assert setting("training.epochs") == "--epochs / training.epochs"


# ---- finetune ------------------------------------------------------------------------------------
def test_finetune_defaults_resolve_per_family():
    assert RunConfig().finetune.strategy == "auto"
    assert RunConfig(task="text-classification").spec.finetune_strategy("auto") == "full"
    assert RunConfig(task="ner").spec.finetune_strategy("auto") == "full"
    assert RunConfig(task="image-classification").spec.finetune_strategy("auto") == "top_k"
    lora = RunConfig(task="ner", finetune={"strategy": "lora"}).finetune
    assert (lora.lora_rank, lora.lora_alpha, lora.lora_dropout, lora.lora_targets, lora.adapter_size) == (
        8, 16.0, 0.0, ["query", "value"], 64)


@pytest.mark.parametrize("strategy", ["lora", "adapter"])
def test_images_reject_lora_and_adapter_at_validation(strategy):
    with pytest.raises(ConfigError, match=rf"--finetune / finetune.strategy '{strategy}' is for text-classification, "
                                          rf"ner only .* image-classification expects one of auto, full, head, top_k, "
                                          rf"bitfit. Received: strategy='{strategy}'"):
        RunConfig(task="image-classification", finetune={"strategy": strategy})


def test_head_epochs_must_leave_a_second_phase():
    with pytest.raises(ConfigError, match=r"--head-epochs / finetune.head_epochs must leave epochs for the second "
                                          r"phase: it must be below --epochs / training.epochs \(4\). Received: "
                                          r"head_epochs=4. Fix: raise --epochs"):
        RunConfig(task="image-classification", finetune={"head_epochs": 4}, training={"epochs": 4})
    assert RunConfig(task="image-classification", finetune={"head_epochs": 2}, training={"epochs": 6}).finetune.head_epochs == 2


@pytest.mark.parametrize("finetune, message", [
    ({"head_epochs": -1}, r"--head-epochs / finetune.head_epochs must be an integer >= 0. Received: head_epochs=-1"),
    ({"strategy": "prefix"}, r"--finetune / finetune.strategy must be one of 'auto', 'full', .* Received: "
                             r"strategy='prefix'"),
    ({"lora_rank": 0}, r"--lora-rank / finetune.lora_rank must be an integer >= 1. Received: lora_rank=0"),
    ({"lora_alpha": -1}, r"--lora-alpha / finetune.lora_alpha must be a positive number. Received: lora_alpha=-1"),
    ({"lora_dropout": 1.0}, r"--lora-dropout / finetune.lora_dropout must be a number in \[0, 1\)"),
    ({"lora_targets": ["query", "q"]}, r"--lora-targets / finetune.lora_targets must be a list of distinct names "
                                       r"among query, key, value, .* Received: lora_targets=\['query', 'q'\]"),
    ({"adapter_size": 0}, r"--adapter-size / finetune.adapter_size must be an integer >= 1"),
])
def test_invalid_finetune_settings(finetune, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(finetune=finetune)


def test_finetune_from_yaml_and_cli_flags(tmp_path, capsys):
    from kerasknow.cli import build_parser

    path = tmp_path / "c.yaml"
    path.write_text("task: ner\nfinetune:\n  strategy: lora\n  lora_rank: 4\n  lora_targets: [query, key, value]\n")
    cfg = RunConfig.from_yaml(str(path))
    assert (cfg.finetune.strategy, cfg.finetune.lora_rank, cfg.finetune.lora_targets) == (
        "lora", 4, ["query", "key", "value"])
    assert RunConfig.from_dict(json.loads(cfg.to_json(["finetune"])), partial=True).finetune == cfg.finetune

    args = build_parser().parse_args(["run", "--finetune", "adapter", "--adapter-size", "16", "--lora-targets",
                                      "query,output"])
    overrides = {path: getattr(args, path) for path in ("finetune.strategy", "finetune.adapter_size",
                                                         "finetune.lora_targets")}
    cfg = RunConfig(task="text-classification").with_overrides(overrides)
    assert (cfg.finetune.strategy, cfg.finetune.adapter_size, cfg.finetune.lora_targets) == (
        "adapter", 16, ["query", "output"])
    with pytest.raises(SystemExit, match="2"):
        build_parser().parse_args(["run", "--finetune", "prefix"])
    assert "invalid choice: 'prefix'" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="0"):
        build_parser().parse_args(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "lora and adapter are for the BERT families (text-classification, ner) only" in help_text
    assert "--lora-rank R" in help_text and "(default: 8; YAML: finetune.lora_rank)" in help_text
