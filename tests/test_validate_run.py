"""`kerasknow validate` through the command line, on real BBC News articles."""
import contextlib
import io
import json
import os

import pytest

from kerasknow.cli import main

MULTI_PROCESS = ["--beam-arg=--direct_running_mode=multi_processing", "--beam-arg=--direct_num_workers=2"]


@pytest.fixture(scope="module")
def bbc_small(tmp_path_factory):
    """Six BBC News articles per class (30 in all), as `<label>/*.txt`."""
    from kerasknow.demo import bbc_news_dir, subset_folder

    return subset_folder(bbc_news_dir(), str(tmp_path_factory.mktemp("bbc")), 6)


def _validate(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", *args])
    return code, out.getvalue(), err.getvalue()


def test_validate_prints_the_knowledge_report_and_passes_clean_knowledge(tmp_path, bbc_small, tiny_bert_dir):
    output = str(tmp_path / "out")
    code, out, err = _validate("--task", "text-classification", "--data", bbc_small, "--output", output,
                               "--checkpoint", tiny_bert_dir, "--min-examples-per-label", "2", *MULTI_PROCESS)
    assert code == 0, out + err
    assert "kerasknow knowledge report" in out and "examples_train:" in out
    assert "[examples_per_label] 5 labels in train" in out
    assert "[kerasknow] validation passed" in out
    for step in ("KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "KnowledgeValidator"):
        assert step in out
    assert "Trainer" not in out
    run = out.split("[kerasknow] validation passed: run ")[1].split(":")[0]
    reports = os.path.join(output, "reports", run)
    summary = json.load(open(os.path.join(reports, "ingest", "summary.json")))
    assert (summary["read"], summary["used"], summary["rejected"]) == (30, 30, 0)
    report = json.load(open(os.path.join(reports, "validation", "report.json")))
    assert report["errors"] == 0 and sum(report["stats"].values()) == 30
    assert os.path.exists(os.path.join(reports, "validation", "statistics.html"))
    assert os.path.exists(os.path.join(output, "validate", "metadata.sqlite"))


def test_validate_exits_1_on_knowledge_errors_and_names_them(tmp_path, tiny_bert_dir):
    data = tmp_path / "k.csv"
    rows = [f"fact number {i} about the markets,{'ab'[i % 2]}" for i in range(30)]
    rows += ["the same fact,a", "The same  fact,b"]
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, out, err = _validate("--data", str(data), "--output", str(tmp_path / "out"), "--checkpoint", tiny_bert_dir)
    assert code == 1
    assert "ERRORS (1)" in out and "[conflicting_labels] 1 texts appear with different labels" in out
    assert "[kerasknow] validation FAILED" in out and "1 errors" in out


def test_validate_exits_1_when_ingest_rejects_too_much(tmp_path, tiny_bert_dir):
    data = tmp_path / "k.csv"
    data.write_text("text,label\n" + "".join(f"fact {i},a\n" for i in range(5)) + ",a\n" * 3, encoding="utf-8")
    code, out, err = _validate("--data", str(data), "--output", str(tmp_path / "out"), "--checkpoint", tiny_bert_dir)
    assert code == 1
    assert "validation FAILED" in out
    assert "3 of 8 records were rejected" in out and "--max-reject-fraction" in out


def test_validate_help_shows_the_defaults():
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit, match="0"):
        main(["validate", "--help"])
    text = " ".join(out.getvalue().split())
    assert "exits 1 when it has errors" in text.lower()
    assert "(default: 0.2; YAML: ingest.eval_fraction)" in text
    assert "--beam-arg" in text


def test_validate_on_an_output_uri_keeps_its_metadata_in_the_local_state_folder(tmp_path, monkeypatch):
    """`--output` on another file system (TF's in-memory `ram://`, a stand-in for `gs://`): the
    pipeline's artifacts go there, SQLite's ML Metadata to the output's local state folder. (Beam
    has no `ram://` file system, so the pipeline itself is not run here; on `gs://` it is Beam's.)"""
    import tensorflow as tf

    import kerasknow.pipelines
    from kerasknow.config import RunConfig
    from kerasknow.config.run_config import local_state_dir
    from kerasknow.validate_run import validate_local

    handed = {}

    class Built(Exception):
        pass

    def create_validation_pipeline(config, pipeline_root, metadata_path, **kwargs):
        handed.update(pipeline_root=pipeline_root, metadata_path=metadata_path)
        raise Built("pipeline built")

    monkeypatch.setenv("KERASKNOW_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(kerasknow.pipelines, "create_validation_pipeline", create_validation_pipeline)
    output = "ram://validate-uri/out"
    with pytest.raises(Built, match="pipeline built"):
        validate_local(RunConfig(task="text-classification", data=str(tmp_path), output=output))
    assert handed["pipeline_root"] == f"{output}/validate/tfx"
    assert handed["metadata_path"] == os.path.join(local_state_dir(output), "validate", "metadata.sqlite")
    assert handed["metadata_path"].startswith(str(tmp_path / "cache"))
    assert os.path.isdir(os.path.dirname(handed["metadata_path"])) and tf.io.gfile.isdir(f"{output}/validate")
    assert not os.path.exists("ram:")  # no `os.path` join of the URI under the working folder
