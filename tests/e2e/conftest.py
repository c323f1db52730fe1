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
