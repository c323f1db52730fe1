"""The local run's folders on any file system: TensorFlow's `ram://` stands for gs://, s3://, hdfs://."""
import os

import pytest
import tensorflow as tf

from kerasknow.config import RunConfig
from kerasknow.config.run_config import local_state_dir
from kerasknow.local_run import LATEST_FILE, link_latest_reports, newest_version
from kerasknow.run_log import log_path
from kerasknow.runs_table import runs_main


def test_latest_reports_is_a_link_locally_and_a_file_on_an_object_store(tmp_path):
    local = RunConfig(output=str(tmp_path / "out"))
    assert link_latest_reports(local, "20260101-000000") == local.reports_dir("20260101-000000")
    assert os.readlink(os.path.join(local.reports_dir(), "latest")) == "20260101-000000"

    remote = RunConfig(output="ram://local-run-test/out")
    folder = link_latest_reports(remote, "20260101-000001")
    assert folder == "ram://local-run-test/out/reports/20260101-000001" and tf.io.gfile.isdir(folder)
    link_latest_reports(remote, "20260101-000002")
    with tf.io.gfile.GFile(f"ram://local-run-test/out/reports/{LATEST_FILE}") as f:
        assert f.read() == "20260101-000002\n"


def test_newest_complete_version_on_any_file_system():
    base = "ram://local-run-test/serving/bbc"
    for version, complete in ((3, True), (7, True), (9, False)):
        tf.io.gfile.makedirs(f"{base}/{version}/variables")
        if complete:
            with tf.io.gfile.GFile(f"{base}/{version}/saved_model.pb", "wb") as f:
                f.write(b"")
    assert newest_version(base) == f"{base}/7"
    assert newest_version("ram://local-run-test/nothing") is None


def test_an_output_uri_keeps_metadata_and_log_in_a_local_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASKNOW_CACHE", str(tmp_path / "cache"))
    cfg = RunConfig(output="gs://bucket/run")
    local = local_state_dir("gs://bucket/run")
    assert local.startswith(str(tmp_path / "cache" / "outputs")) and local == local_state_dir("gs://bucket/run/")
    assert cfg.metadata_path() == os.path.join(local, "metadata.sqlite")
    assert log_path("gs://bucket/run") == os.path.join(local, "kerasknow.log")
    assert cfg.reports_dir("r1") == "gs://bucket/run/reports/r1"  # what is not SQLite stays on the URI
    assert RunConfig(output="out").metadata_path() == os.path.join("out", "metadata.sqlite")
    with pytest.raises(FileNotFoundError, match=f"No runs under 'gs://bucket/run': there is no {local}"):
        runs_main("gs://bucket/run")
