"""Text classification's default epochs follow the size of the knowledge base it trains on."""

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.write_examples import split_file, write_examples
from kerasknow.family.registry import get_task_family
from kerasknow.testing import train_context
from kerasknow.text.text_schedule import MAX_EPOCHS, TARGET_STEPS, text_default_epochs


def _epochs(tmp_path, n_train, **training):
    rows = [("train", encode_features({"text": f"fact {i}", "label": "ab"[i % 2]}).SerializeToString())
            for i in range(n_train)]
    write_examples(str(tmp_path), rows + [("eval", rows[0][1])])
    cfg = RunConfig(task="text-classification", output=str(tmp_path / "out"), training=training)
    files = {split: split_file(str(tmp_path), split) for split in ("train", "eval")}
    ctx = train_context(cfg, ["a", "b"], files, str(tmp_path / "ctx"))
    return get_task_family("text-classification").epochs(ctx)


def test_a_small_knowledge_base_trains_enough_steps_and_a_large_one_two_epochs(tmp_path):
    assert _epochs(tmp_path / "small", 97) == 18  # 7 steps an epoch at batch 16
    assert 18 * 7 >= TARGET_STEPS
    assert _epochs(tmp_path / "large", 1780) == 2
    assert _epochs(tmp_path / "tiny", 3) == MAX_EPOCHS
    assert _epochs(tmp_path / "set", 97, epochs=1) == 1  # training.epochs wins
    assert text_default_epochs(97, 32) == 20  # larger batches, fewer steps an epoch
