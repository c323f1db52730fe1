"""Fixtures of the end-to-end pipeline tests: the small real data sets."""
import pytest


@pytest.fixture(scope="session")
def bbc_subset(tmp_path_factory):
    """Six BBC News articles per class (30 in all), as `<label>/*.txt`."""
    from kerasknow.demo import bbc_news_dir, subset_folder

    return subset_folder(bbc_news_dir(), str(tmp_path_factory.mktemp("bbc")), 6)


@pytest.fixture(scope="session")
def wnut_subset(tmp_path_factory):
    """The first 160 WNUT-2016 sentences."""
    from kerasknow.demo import first_sentences, wnut_file

    return first_sentences(wnut_file(), str(tmp_path_factory.mktemp("wnut") / "ner.txt"), 160)


@pytest.fixture(scope="session")
def text_run(tmp_path_factory, tiny_bert_dir, bbc_subset):
    """`kerasknow run --config small.yaml` on the BBC subset with a tiny BERT, as a user runs it:
    `(config, RunResult, what it printed, what it wrote to stderr)`."""
    import contextlib
    import io

    import yaml
    from e2e_configs import small_config

    from kerasknow.cli import main
    from kerasknow.local_run import run_result

    root = tmp_path_factory.mktemp("e2e")
    cfg = small_config("text-classification", bbc_subset, str(root / "out"), tiny_bert_dir, model_name="bbc")
    (root / "small.yaml").write_text(yaml.safe_dump(cfg.to_dict()))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--config", str(root / "small.yaml")])
    assert code == 0, err.getvalue()[-3000:]
    return cfg, run_result(cfg), out.getvalue(), err.getvalue()
