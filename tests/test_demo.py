"""The demos' data: written again on the same output, it keeps its fingerprint (a rerun is cached);
the update demo's plans."""
import os

from kerasknow.components.knowledge_example_gen.component import fingerprint_inputs
from kerasknow.demo import bbc_news_dir, first_sentences, image_demo, subset_folder, wnut_file


def test_the_image_demos_data_written_again_keeps_its_fingerprint(tmp_path):
    plan = image_demo(str(tmp_path), per_label=20)
    before = fingerprint_inputs(plan.config.data)
    again = image_demo(str(tmp_path), per_label=20)
    assert again.config.data == plan.config.data and fingerprint_inputs(plan.config.data) == before
    # A different subset is different knowledge: the fingerprint moves.
    image_demo(str(tmp_path), per_label=21)
    assert fingerprint_inputs(plan.config.data) != before


def test_text_and_ner_subsets_written_again_keep_their_fingerprints(tmp_path):
    folder = subset_folder(bbc_news_dir(), str(tmp_path / "bbc"), 3)
    conll = first_sentences(wnut_file(), str(tmp_path / "wnut" / "ner.txt"), 30)
    before = fingerprint_inputs(folder), fingerprint_inputs(conll)
    subset_folder(bbc_news_dir(), str(tmp_path / "bbc"), 3)
    first_sentences(wnut_file(), str(tmp_path / "wnut" / "ner.txt"), 30)
    assert (fingerprint_inputs(folder), fingerprint_inputs(conll)) == before
    first_sentences(wnut_file(), str(tmp_path / "wnut" / "ner.txt"), 31)
    assert fingerprint_inputs(conll) != before[1]


def test_the_moving_average_is_for_the_whole_image_demo_only(tmp_path):
    # A subset's epochs are a few steps: an average over ~100 steps would still be the start.
    assert image_demo(str(tmp_path / "whole"), per_label=0).config.training.ema_momentum == 0.99
    assert image_demo(str(tmp_path / "subset"), per_label=30).config.training.ema_momentum == 0.0


def test_the_update_demo_tunes_the_first_knowledge_base_only(tmp_path):
    from kerasknow.demo import UPDATE_FIRST_LABELS, UPDATE_NEW_LABELS, update_demo

    first, update = update_demo(str(tmp_path), examples_per_label=3)
    assert (first.tune, update.tune) == (True, False)
    assert sorted(os.listdir(first.config.data)) == sorted(UPDATE_FIRST_LABELS)
    assert sorted(os.listdir(update.config.data)) == sorted(UPDATE_NEW_LABELS)
    assert first.config.output == update.config.output == str(tmp_path)
