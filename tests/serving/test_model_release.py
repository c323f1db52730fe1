"""ModelRelease: atomic pushes (killed at random moments), version numbers, models.config labels,
retention, promote and rollback, and their commands."""
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
from google.protobuf import text_format
from serving_toys import MODEL_NAME, wait_for
from tensorflow_serving.config import model_server_config_pb2

from kerasknow.errors import ConfigError
from kerasknow.serving.cli import release_main
from kerasknow.serving.model_release import PUSH_RECORD, RETIRED_PREFIX, STAGING_PREFIX, ModelRelease

HERE = os.path.dirname(os.path.abspath(__file__))


def _files(folder):
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = os.path.getsize(path)
    return found


def _dead(pid: int) -> bool:
    """True once `pid` is gone or a zombie (the forking process reaps it later)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except FileNotFoundError:
        return True


@pytest.fixture
def big_model(tmp_path, toy_templates):
    """The toy SavedModel with 40 MB of assets, so a copy takes long enough to be killed halfway."""
    source = str(tmp_path / "big")
    shutil.copytree(toy_templates[1], source)
    os.makedirs(os.path.join(source, "assets"), exist_ok=True)
    with open(os.path.join(source, "assets", "padding.bin"), "wb") as f:
        f.write(os.urandom(40 * 2**20))
    return source


def test_a_push_killed_at_any_moment_leaves_only_complete_versions(tmp_path, big_model):
    base = tmp_path / "serving" / MODEL_NAME
    expected = _files(big_model)
    rng = random.Random(11)
    mid_copy = 0
    forker = subprocess.Popen([sys.executable, os.path.join(HERE, "push_forever.py"), big_model, str(base)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert forker.stdout.readline().strip() == "ready"  # TensorFlow imported once
        for _ in range(8):
            forker.stdin.write("push\n")
            forker.stdin.flush()
            pusher = int(forker.stdout.readline())
            time.sleep(rng.uniform(0.0, 1.0))  # anywhere in a push
            os.kill(pusher, signal.SIGKILL)
            assert wait_for(lambda: _dead(pusher), timeout=30)
            mid_copy += any(n.startswith(STAGING_PREFIX) for n in os.listdir(base))
            for name in os.listdir(base):
                if name.isdigit():
                    files = _files(os.path.join(base, name))
                    extra = {PUSH_RECORD, os.path.join("assets.extra", "tf_serving_warmup_requests")}
                    assert {k: v for k, v in files.items() if k not in extra} == expected, name
                else:
                    assert name.startswith((STAGING_PREFIX, RETIRED_PREFIX)) or name == ".kerasknow-push.lock", name
            config = base.parent / "models.config"
            if config.exists():
                text_format.Parse(config.read_text(), model_server_config_pb2.ModelServerConfig())
    finally:
        forker.stdin.close()
        forker.kill()
        forker.wait(timeout=30)
    release = ModelRelease(str(base))
    assert release.versions(), "no push completed in the runs"
    assert mid_copy, "no kill landed while a version was being copied"
    # The next push removes what the killed ones left behind.
    staging = release.stage(big_model)
    with release.lock():
        release.retire(0)
    left = sorted(n for n in os.listdir(base) if n.startswith((STAGING_PREFIX, RETIRED_PREFIX)))
    assert left == [os.path.basename(staging), os.path.basename(staging) + ".lock"]
    release.discard(staging)
    assert not [n for n in os.listdir(base) if n.startswith((STAGING_PREFIX, RETIRED_PREFIX))]


def test_a_lock_file_left_alone_by_a_killed_push_is_removed_and_a_live_ones_kept(tmp_path, toy_templates):
    """A push killed between taking its staging lock and copying (or between its rename and
    removing the lock) leaves only `<staging>.lock`; the next push removes it unless it is held."""
    import fcntl

    base = tmp_path / MODEL_NAME
    base.mkdir()
    orphan = base / f"{STAGING_PREFIX}0123456789abcdef.lock"
    orphan.write_text("")
    live = base / f"{STAGING_PREFIX}fedcba9876543210.lock"
    with open(live, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # a push still copying, folder not made yet
        release = ModelRelease(str(base))
        staging = release.stage(toy_templates[1])
        left = sorted(n for n in os.listdir(base) if n.startswith(STAGING_PREFIX))
        assert left == sorted([live.name, os.path.basename(staging), os.path.basename(staging) + ".lock"])
    release.commit(staging)
    assert release.remove_stale_staging() == [live.name[:-len(".lock")]]
    assert not [n for n in os.listdir(base) if n.startswith(STAGING_PREFIX)]


def test_versions_strictly_increase_even_within_one_second(tmp_path, toy_templates):
    release = ModelRelease(str(tmp_path / MODEL_NAME))
    versions = [release.commit(release.stage(toy_templates[1])) for _ in range(3)]
    assert versions == sorted(set(versions)) and versions[0] >= int(time.time()) - 60
    assert release.versions() == versions


def test_labels_follow_tf_servings_rule_and_other_models_stay_in_the_config(tmp_path, toy_templates):
    serving = tmp_path / "serving"
    other = ModelRelease(str(serving / "other"))
    other_version = other.commit(other.stage(toy_templates[1]))
    release = ModelRelease(str(serving / MODEL_NAME))
    first = release.commit(release.stage(toy_templates[1]))
    assert release.add_version(first) is None  # the first version gets stable at once
    second = release.commit(release.stage(toy_templates[2], label="stable"))
    assert release.add_version(second) == "stable"
    assert release.entry() == ({first, second}, {"stable": first})
    assert release.pending() == (second, "stable")
    with pytest.raises(ConfigError, match=r"Version 12 of 'toy' is not in the version policy.*refuse the label"):
        release.move_label("stable", 12)
    release.move_label("stable", second)
    assert release.entry() == ({first, second}, {"stable": second})  # the old stable stays loaded
    config = text_format.Parse((serving / "models.config").read_text(), model_server_config_pb2.ModelServerConfig())
    entries = {c.name: c for c in config.model_config_list.config}
    assert set(entries) == {"toy", "other"}  # every model pushed under the serving folder
    assert entries["other"].base_path == str(serving / "other") and other_version in other.versions()


def test_retire_keeps_the_newest_and_every_version_the_config_serves(tmp_path, toy_templates):
    release = ModelRelease(str(tmp_path / MODEL_NAME))
    versions = [release.commit(release.stage(toy_templates[1])) for _ in range(6)]
    release.add_version(versions[0])  # stable: the oldest
    assert release.retire(2) == versions[1:4]
    assert release.versions() == [versions[0]] + versions[4:]
    assert release.retire(0) == []


def test_rollback_moves_stable_back_and_deletes_nothing(tmp_path, toy_templates, capsys):
    base = str(tmp_path / MODEL_NAME)
    release = ModelRelease(base)
    v1 = release.commit(release.stage(toy_templates[1]))
    release.add_version(v1)
    v2 = release.commit(release.stage(toy_templates[2]))
    release.add_version(v2)
    release.move_label("stable", v2)
    assert release_main("rollback", ["--model-base-path", base]) == 0
    assert f"stable -> version {v1}" in capsys.readouterr().out
    assert release.entry() == ({v1}, {"stable": v1}) and release.versions() == [v1, v2]
    # Back to v2, which the policy no longer loads: two steps, as TF Serving's label rule needs.
    assert release.rollback(v2) == (v2, False)
    assert release.entry() == ({v1, v2}, {"stable": v1})
    assert release.rollback(v2) == (v2, True)
    assert release.entry() == ({v2}, {"stable": v2})
    assert release_main("rollback", ["--model-base-path", base, "--to", "5"]) == 1
    assert "--to must be a complete version of 'toy'. Received: --to 5" in capsys.readouterr().err


def test_promote_and_versions_commands(tmp_path, toy_templates, capsys):
    base = str(tmp_path / MODEL_NAME)
    release = ModelRelease(base)
    v1 = release.commit(release.stage(toy_templates[1]))
    release.add_version(v1)
    v2 = release.commit(release.stage(toy_templates[2], label="canary"))
    release.add_version(v2, canary=True)
    assert release_main("promote", ["--model-base-path", base]) == 0
    assert f"canary -> version {v2}" in capsys.readouterr().out
    assert release.entry()[1] == {"stable": v1, "canary": v2}
    assert release_main("promote", ["--model-base-path", base, "--label", "stable"]) == 0
    assert release.entry()[1] == {"stable": v2}
    assert release_main("promote", ["--model-base-path", base]) == 0
    assert "Nothing to promote" in capsys.readouterr().out
    assert release_main("versions", ["--model-base-path", base]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:4] == [str(v2), "in", "policy", "stable"] and lines[2].split()[:3] == [str(v1), "in", "policy"]
