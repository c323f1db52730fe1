"""NER's default epochs and the epochs early stopping waits follow the knowledge base's size."""

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.write_examples import split_file, write_examples
from kerasknow.family.registry import get_task_family
from kerasknow.ner.ner_schedule import TARGET_STEPS
from kerasknow.testing import train_context


def _schedule(tmp_path, n_train, **training):
    rows = [("train", encode_features({"tokens": ["fact", str(i)], "tags": ["O", "O"], "num_tokens": 2})
             .SerializeToString()) for i in range(n_train)]
    write_examples(str(tmp_path), rows + [("eval", rows[0][1])])
    cfg = RunConfig(task="ner", output=str(tmp_path / "out"), training=training)
    files = {split: split_file(str(tmp_path), split) for split in ("train", "eval")}
    ctx = train_context(cfg, ["O", "B-person", "I-person"], files, str(tmp_path / "ctx"))
    family = get_task_family("ner")
    return family.epochs(ctx), family.early_stopping_start(ctx)


def test_early_stopping_cannot_cut_the_default_steps_short(tmp_path):
    # 992 sentences: 62 steps an epoch, 7 epochs for 400 steps, all of which early stopping waits.
    assert _schedule(tmp_path / "wnut-half", 992) == (7, 7)
    assert 6 * 62 < TARGET_STEPS <= 7 * 62
    # More epochs than the default: early stopping may stop once the 400 steps are done.
    assert _schedule(tmp_path / "longer", 992, epochs=12) == (12, 7)
    # Fewer: it never stops (nor keeps an earlier epoch's weights).
    assert _schedule(tmp_path / "shorter", 1915, epochs=2) == (2, 2)
    # A large knowledge base: 120 steps an epoch, 4 epochs by the default, waited in full.
    assert _schedule(tmp_path / "large", 1915) == (4, 4)
