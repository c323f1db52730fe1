import pytest

from kerasknow.data.tfrecord_files import expand_tfrecord_files
from kerasknow.errors import ConfigError, DataError


def test_globs_folders_and_lists_in_order(tmp_path):
    for split, names in (("Split-train", ("b.gz", "a.gz", "notes.txt")), ("Split-eval", ("c.gz",))):
        (tmp_path / split).mkdir()
        for name in names:
            (tmp_path / split / name).write_bytes(b"")
    train = tmp_path / "Split-train"
    assert expand_tfrecord_files(str(train)) == [str(train / "a.gz"), str(train / "b.gz")]
    assert expand_tfrecord_files(str(train / "*")) == [str(train / n) for n in ("a.gz", "b.gz", "notes.txt")]
    assert expand_tfrecord_files([str(tmp_path / "Split-eval"), train]) == [
        str(tmp_path / "Split-eval" / "c.gz"), str(train / "a.gz"), str(train / "b.gz")]


def test_nothing_matching_or_bad_patterns(tmp_path):
    with pytest.raises(DataError, match=r"No TFRecord files match `file_pattern`\. Received: file_pattern='.*missing"):
        expand_tfrecord_files(str(tmp_path / "missing" / "*.gz"))
    with pytest.raises(ConfigError, match=r"must be a glob pattern, a directory, or a non-empty list.*Received: file_pattern=\[\]"):
        expand_tfrecord_files([])
    with pytest.raises(ConfigError, match=r"Received: file_pattern=\[3\]"):
        expand_tfrecord_files([3])
