import pytest

from kerasknow.config import RunConfig
from kerasknow.errors import ConfigError


def test_defaults_and_paths():
    cfg = RunConfig(data="d", output="out")
    assert cfg.serving_model_dir() == "out/serving/knowledge"
    assert cfg.resolved_pipeline_name() == "kerasknow-text-classification"
    assert RunConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize("kwargs, message", [
    ({"task": "nope"}, r"task must be one of .* Received: task='nope'"),
    ({"eval_fraction": 0.0}, r"eval_fraction must be in \(0, 1\). Received: eval_fraction=0.0"),
    ({"max_reject_fraction": 1.5}, r"max_reject_fraction must be in \[0, 1\]"),
    ({"epochs": 0}, r"epochs must be a positive integer. Received: epochs=0"),
    ({"max_seq_length": 1024}, r"max_seq_length must be at most 512"),
    ({"xla": "maybe"}, r"xla must be 'auto', 'on' or 'off'"),
    ({"learning_rates": []}, r"learning_rates must be positive numbers"),
    ({"model_name": "a/b"}, r"model_name must be a non-empty name without '/'"),
])
def test_invalid_values_fail_at_construction(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig(**kwargs)


def test_yaml_with_overrides_and_unknown_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("task: text-classification\ndata: a\nepochs: 3\n")
    cfg = RunConfig.from_yaml(str(path), data="b", epochs=None)
    assert (cfg.data, cfg.epochs) == ("b", 3)
    path.write_text("epochz: 3\n")
    with pytest.raises(ConfigError, match=r"Unknown configuration keys \['epochz'\]"):
        RunConfig.from_yaml(str(path))
    with pytest.raises(ConfigError, match="Config file not found"):
        RunConfig.from_yaml(str(tmp_path / "missing.yaml"))
    path.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        RunConfig.from_yaml(str(path))
