"""The development server on a models.config: many models, polled changes, TF Serving's label rule."""
import logging

import pytest
from serving_toys import expected_labels, push_version, wait_for

from kerasknow.errors import ConfigError
from kerasknow.serving.model_config_file import ModelConfigFile
from kerasknow.serving.model_server import DevModelServer
from kerasknow.serving.prediction_client import PredictionClient

TEXTS = ["hi", "a much longer text"]


@pytest.fixture
def two_models(tmp_path, toy_templates):
    """`<tmp>/serving/{toy,other}` with versions 1 and 2 each, and an empty models.config path."""
    serving = tmp_path / "serving"
    for name in ("toy", "other"):
        (serving / name).mkdir(parents=True)
        for version in (1, 2):
            push_version(toy_templates[version], str(serving / name), version)
    return serving, ModelConfigFile(str(serving / "models.config"))


def _server(config, **kwargs):
    return DevModelServer(model_config_file=config.path, port=0, poll_seconds=0.1, model_config_poll_seconds=0.1,
                          **kwargs)


def test_serves_every_model_of_the_config_with_its_policy_and_labels(two_models):
    serving, config = two_models
    config.set_entry("toy", str(serving / "toy"), [1, 2], {"stable": 1, "canary": 2})
    config.set_entry("other", str(serving / "other"), [2], {})
    with _server(config, allow_version_labels_for_unavailable_models=True) as server:
        assert {n: m.loaded_versions for n, m in server.models.items()} == {"toy": [1, 2], "other": [2]}
        target = f"127.0.0.1:{server.port}"
        with PredictionClient(target, "toy") as toy, PredictionClient(target, "other") as other:
            assert list(toy.predict_texts(TEXTS, version_label="stable")["labels"]) == expected_labels(TEXTS, 1)
            assert list(toy.predict_texts(TEXTS, version_label="canary")["labels"]) == expected_labels(TEXTS, 2)
            assert list(toy.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)  # newest, no label
            assert list(other.predict_texts(TEXTS)["labels"]) == expected_labels(TEXTS, 2)
        assert "--model_config_file=" in server.banner() and "DEVELOPMENT" in server.banner()


def test_labels_at_start_up_need_the_flag_as_in_tf_serving(two_models):
    serving, config = two_models
    config.set_entry("toy", str(serving / "toy"), [1], {"stable": 1})
    with pytest.raises(ConfigError, match="Request to assign label to version 1 of model toy, which is not currently "
                                          "available for inference. Fix: start the server with "
                                          "--allow-version-labels-for-unavailable-models"):
        _server(config).start()


def test_a_label_moves_only_to_a_loaded_version(two_models, caplog):
    serving, config = two_models
    config.set_entry("toy", str(serving / "toy"), [1], {"stable": 1})
    with _server(config, allow_version_labels_for_unavailable_models=True) as server:
        toy = server.models["toy"]
        assert toy.loaded_versions == [1]
        # Loading version 2 and moving the label to it in one change: refused, the old config serves.
        with caplog.at_level(logging.ERROR, logger="kerasknow.serving.model_server"):
            config.set_entry("toy", str(serving / "toy"), [2], {"stable": 2})
            assert wait_for(lambda: any("which is not currently available" in r.getMessage()
                                        for r in caplog.records), timeout=10)
        assert toy.loaded_versions == [1] and toy.version_labels == {"stable": 1}
        # Step one loads it, step two moves the label.
        config.set_entry("toy", str(serving / "toy"), [1, 2], {"stable": 1})
        assert wait_for(lambda: toy.loaded_versions == [1, 2], timeout=10)
        config.set_entry("toy", str(serving / "toy"), [1, 2], {"stable": 2})
        assert wait_for(lambda: toy.version_labels == {"stable": 2}, timeout=10)
        with PredictionClient(f"127.0.0.1:{server.port}", "toy") as client:
            assert list(client.predict_texts(TEXTS, version_label="stable")["labels"]) == expected_labels(TEXTS, 2)
        # A model left out of the config is no longer served.
        config.write(type(config.read())())
        assert wait_for(lambda: not server.models, timeout=10)


def test_config_file_mistakes_are_config_errors(two_models, tmp_path):
    serving, config = two_models
    with pytest.raises(ConfigError, match="--model-config-file replaces --model-base-path and --model-name"):
        DevModelServer(str(serving / "toy"), "toy", model_config_file=config.path)
    bad = tmp_path / "bad.config"
    bad.write_text("model_config_list { config { nme: 'x' } }")
    with pytest.raises(ConfigError, match="is not a tensorflow.serving.ModelServerConfig text proto"):
        DevModelServer(model_config_file=str(bad), port=0).start()
    bad.write_text(f"model_config_list {{ config {{ name: 'toy' base_path: '{serving / 'toy'}' }} }}")
    with pytest.raises(ConfigError, match="model 'toy' needs model_platform: \"tensorflow\""):
        DevModelServer(model_config_file=str(bad), port=0).start()
