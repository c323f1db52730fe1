"""KnowledgePusher's executor on real TFX artifacts: a tiny exported model and real examples."""
import json
import os
import shutil

import pytest
from google.protobuf import text_format

from kerasknow.components.component_keys import (CONFIG_KEY, EXAMPLES_KEY, MODEL_BLESSING_KEY, MODEL_KEY,
                                                  PREFLIGHT_KEY, PUSHED_MODEL_KEY)
from kerasknow.components.knowledge_artifacts import KnowledgePreflight
from kerasknow.components.knowledge_pusher.component import KnowledgePusher
from kerasknow.components.knowledge_pusher.executor import Executor
from kerasknow.config import RunConfig
from kerasknow.errors import PreflightError
from kerasknow.testing import artifact, exported_model, run_example_gen


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_bert_dir):
    """Examples of a small CSV and an untrained tiny text classifier exported as the Trainer would."""
    root = tmp_path_factory.mktemp("pusher")
    data = root / "k.csv"
    data.write_text("text,label\n" + "".join(f"fact number {i} is here,{'ab'[i % 2]}\n" for i in range(40)))
    cfg = RunConfig(data=str(data), output=str(root / "out"), model={"checkpoint": tiny_bert_dir, "max_seq_length": 16},
                    serving={"model_name": "facts", "warmup_requests": 5})
    examples, _ = run_example_gen(cfg, str(root / "gen"))
    return cfg, examples, exported_model(cfg, examples, str(root)), root


def _blessing(root, name, blessed=True):
    from tfx.types import standard_artifacts

    blessing = artifact(standard_artifacts.ModelBlessing, str(root / name / "blessing"))
    os.makedirs(blessing.uri, exist_ok=True)
    open(os.path.join(blessing.uri, "BLESSED" if blessed else "NOT_BLESSED"), "w").close()
    blessing.set_int_custom_property("blessed", int(blessed))
    return blessing


def _push(cfg, examples, model, root, name, blessed=True):
    from tfx.types import standard_artifacts

    pushed = artifact(standard_artifacts.PushedModel, str(root / name / "pushed"))
    preflight = artifact(KnowledgePreflight, str(root / name / "preflight"))
    Executor().Do({MODEL_KEY: [model], MODEL_BLESSING_KEY: [_blessing(root, name, blessed)],
                   EXAMPLES_KEY: [examples]},
                  {PUSHED_MODEL_KEY: [pushed], PREFLIGHT_KEY: [preflight]},
                  {CONFIG_KEY: cfg.to_json(KnowledgePusher.CONFIG_SECTIONS)})
    return pushed, preflight


def _copy_model(model, root, name):
    from tfx.types import standard_artifacts

    copy = artifact(standard_artifacts.Model, str(root / name / "model"))
    shutil.copytree(model.uri, copy.uri)
    return copy


def _eval_texts(examples, count):
    from kerasknow.components.component_io import read_split

    return [ex["text"][0] for ex in read_split(examples, "eval")[:count]]


def test_push_writes_an_atomic_version_with_warmup_config_files_and_preflight(trained):
    import tensorflow as tf
    from tensorflow_serving.config import model_server_config_pb2

    from kerasknow.serving.serving_protos import message_class
    from kerasknow.serving.warmup_requests import read_warmup_requests

    cfg, examples, model, root = trained
    pushed, preflight = _push(cfg, examples, model, root, "first")
    version = int(pushed.get_string_custom_property("pushed_version"))
    destination = pushed.get_string_custom_property("pushed_destination")
    assert pushed.get_int_custom_property("pushed") == 1
    assert destination == os.path.join(os.path.abspath(cfg.serving_model_dir()), str(version))
    base = os.path.abspath(cfg.serving_model_dir())
    assert [n for n in os.listdir(base) if not n.startswith(".kerasknow-push")] == [str(version)]  # no staging left

    logs = read_warmup_requests(destination)
    assert len(logs) == 5
    sent = [tf.make_ndarray(log.predict_log.request.inputs["texts"])[0] for log in logs]
    assert sent == _eval_texts(examples, 5)

    serving = os.path.dirname(base)
    config = text_format.Parse(open(os.path.join(serving, "models.config")).read(),
                               model_server_config_pb2.ModelServerConfig())
    (entry,) = config.model_config_list.config
    assert (entry.name, entry.base_path, entry.model_platform) == ("facts", base, "tensorflow")
    assert list(entry.model_version_policy.specific.versions) == [version]
    assert dict(entry.version_labels) == {"stable": version}
    batching = text_format.Parse(open(os.path.join(serving, "batching.config")).read(),
                                 message_class("BatchingParameters")())
    assert (batching.max_batch_size.value, batching.batch_timeout_micros.value) == (32, 2000)
    assert not batching.HasField("num_batch_threads")
    monitoring = text_format.Parse(open(os.path.join(serving, "monitoring.config")).read(),
                                   message_class("MonitoringConfig")())
    assert monitoring.prometheus_config.enable

    report = json.load(open(os.path.join(preflight.uri, "preflight.json")))
    assert report["ok"] is True and report["ops"]["not_in_tf_serving"] == []
    assert report["warmup"] == {"requests": 5, "matches_in_process": True}
    assert set(report["latency_ms"]) == {"batch_1", "batch_16"}
    assert "PASSED" in open(os.path.join(cfg.output, "reports", "serving", "preflight.txt")).read()

    # The same model again (a rerun after a serving setting changed): no second copy.
    again, _ = _push(cfg, examples, model, root, "again")
    assert again.get_string_custom_property("pushed_version") == str(version)
    assert sorted(n for n in os.listdir(base) if n.isdigit()) == [str(version)]


def test_a_canary_push_adds_the_version_and_leaves_stable_until_promoted(trained, tmp_path):
    from kerasknow.serving.model_release import ModelRelease

    cfg, examples, model, root = trained
    cfg = cfg.with_overrides({"serving.base_path": str(tmp_path / "serving")})
    canary_cfg = cfg.with_overrides({"serving.canary": True})
    first = int(_push(cfg, examples, _copy_model(model, root, "m1"), root, "c1")[0]
                .get_string_custom_property("pushed_version"))
    pushed, _ = _push(canary_cfg, examples, _copy_model(model, root, "m2"), root, "c2")
    second = int(pushed.get_string_custom_property("pushed_version"))
    assert second > first
    release = ModelRelease(cfg.serving_model_dir())
    # TF Serving refuses a label on a version it has not loaded: step one loads, labels stay.
    assert release.entry() == ({first, second}, {"stable": first})
    assert release.pending() == (second, "canary")
    release.move_label("canary", second)
    assert release.entry() == ({first, second}, {"stable": first, "canary": second})


def test_an_unblessed_model_is_not_pushed(trained, tmp_path):
    cfg, examples, model, root = trained
    other = cfg.with_overrides({"serving.base_path": str(tmp_path / "serving")})
    pushed, preflight = _push(other, examples, model, root, "unblessed", blessed=False)
    assert pushed.get_int_custom_property("pushed") == 0
    assert not os.path.exists(other.serving_model_dir())
    assert "not blessed" in open(os.path.join(preflight.uri, "preflight.txt")).read()


def test_a_failed_preflight_blocks_the_push_with_the_reason(trained, tmp_path):
    """A model whose serving signature does not take what the text family sends is not pushed."""
    import tensorflow as tf
    from tfx.types import standard_artifacts

    cfg, examples, _, root = trained

    class Images(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="images")])
        def serve(self, images):
            return {"n": tf.strings.length(images)}

    wrong = artifact(standard_artifacts.Model, str(tmp_path / "wrong"))
    module = Images()
    tf.saved_model.save(module, os.path.join(wrong.uri, "Format-Serving"), signatures={"serving_default": module.serve})
    other = cfg.with_overrides({"serving.base_path": str(tmp_path / "serving")})
    with pytest.raises(PreflightError, match=r"would not serve this model.*takes \{'images': 'string'\}; the task "
                                             r"family sends \{'texts': 'string'\}"):
        _push(other, examples, wrong, root, "wrong")
    base = other.serving_model_dir()
    assert [n for n in os.listdir(base) if not n.startswith(".kerasknow-push")] == []  # no version, no staging
    assert "FAILED" in open(os.path.join(other.output, "reports", "serving", "preflight.txt")).read()


def test_the_pusher_is_handed_only_the_serving_section(trained):
    cfg, *_ = trained
    assert set(json.loads(cfg.to_json(KnowledgePusher.CONFIG_SECTIONS))) == {"task", "output", "serving"}


def test_push_reports_and_release_commands_on_a_non_local_file_system(trained, capsys):
    """The whole push on TensorFlow's `ram://` file system (no links, no locks, and a directory
    rename that moves the name but not the files): versions copied with saved_model.pb last,
    models.config, warm-up and reports written there, and versions/rollback reading them back."""
    import tensorflow as tf

    from kerasknow.serving.cli import release_main
    from kerasknow.serving.model_config_file import ModelConfigFile
    from kerasknow.serving.model_release import ModelRelease
    from kerasknow.serving.warmup_requests import read_warmup_requests

    cfg, examples, model, root = trained
    cfg = cfg.with_overrides({"output": "ram://push-test/out", "serving.base_path": "ram://push-test/serving"})
    base = "ram://push-test/serving/facts"
    pushed, _ = _push(cfg, examples, model, root, "ram-first")
    version = int(pushed.get_string_custom_property("pushed_version"))
    assert pushed.get_string_custom_property("pushed_destination") == f"{base}/{version}"  # unchanged, not abspath'd
    assert [n.rstrip("/") for n in tf.io.gfile.listdir(base)] == [str(version)]  # no staging folder left
    assert tf.io.gfile.exists(f"{base}/{version}/saved_model.pb")
    assert len(read_warmup_requests(f"{base}/{version}")) == 5
    with tf.io.gfile.GFile("ram://push-test/out/reports/serving/preflight.txt") as f:
        assert "PASSED" in f.read()
    (entry,) = ModelConfigFile("ram://push-test/serving/models.config").read().model_config_list.config
    assert (entry.base_path, list(entry.model_version_policy.specific.versions)) == (base, [version])
    assert tf.io.gfile.exists("ram://push-test/serving/batching.config")

    second, _ = _push(cfg, examples, _copy_model(model, root, "ram-second"), root, "ram-second")
    newer = int(second.get_string_custom_property("pushed_version"))
    release = ModelRelease(base)
    assert release.versions() == [version, newer] and release.stable() == version
    assert release_main("versions", ["--model-base-path", base]) == 0
    assert f"model 'facts' at {base}" in capsys.readouterr().out
    assert release_main("promote", ["--model-base-path", base]) == 0
    assert ModelRelease(base).stable() == newer
    assert release_main("rollback", ["--model-base-path", base]) == 0
    assert ModelRelease(base).stable() == version
