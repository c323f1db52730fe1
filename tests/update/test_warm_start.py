import numpy as np
import pytest
import tensorflow as tf

from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier
from kerasknow.update.warm_start import saved_labels, save_weights, warm_start


def _inputs():
    return {"input_ids": tf.constant([[101, 2023, 102]]), "attention_mask": tf.ones([1, 3], tf.int32),
            "token_type_ids": tf.zeros([1, 3], tf.int32)}


def test_a_grown_head_keeps_the_old_rows_and_ids(tiny_bert_dir, tmp_path):
    tf.keras.utils.set_random_seed(0)
    old = build_bert_sequence_classifier(tiny_bert_dir, num_labels=3)
    for v in old.trainable_weights:  # stand-in for training: weights unlike a fresh build's
        v.assign(v + 0.01 * tf.random.normal(v.shape))
    save_weights(old, str(tmp_path / "keras"), ["sport", "tech", "art"], {"epochs": 1})
    assert saved_labels(str(tmp_path / "keras")) == ["sport", "tech", "art"]

    tf.keras.utils.set_random_seed(1)
    new = build_bert_sequence_classifier(tiny_bert_dir, num_labels=5)
    fresh_head = [v.numpy().copy() for v in new.weights if "classifier" in v.name]
    grown = warm_start(new, str(tmp_path / "keras"), ["sport", "tech", "art", "film", "music"])
    assert len(grown) == 2 and all("classifier" in name for name in grown)  # kernel and bias
    old_logits, new_logits = old(_inputs()).numpy(), new(_inputs()).numpy()
    np.testing.assert_allclose(new_logits[:, :3], old_logits, rtol=1e-5, atol=1e-5)  # the old classes, unchanged
    kernel = [v for v in new.weights if v.name in grown and len(v.shape) == 2][0].numpy()
    np.testing.assert_array_equal(kernel[:, 3:], [f for f in fresh_head if f.ndim == 2][0][:, 3:])


def test_the_old_vocabulary_must_be_a_prefix(tiny_bert_dir, tmp_path):
    model = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2)
    save_weights(model, str(tmp_path / "keras"), ["sport", "tech"])
    other = build_bert_sequence_classifier(tiny_bert_dir, num_labels=3)
    with pytest.raises(ValueError, match=r"must start with the old one, in its order .* old=\['sport', 'tech'\], "
                                         r"new=\['tech', 'sport', 'art'\]"):
        warm_start(other, str(tmp_path / "keras"), ["tech", "sport", "art"])


def _short(variable) -> str:
    return variable.name.split("/", 1)[1]


def test_weights_saved_after_a_partly_frozen_training_land_on_the_right_variables(tiny_bert_dir, tmp_path):
    tf.keras.utils.set_random_seed(0)
    old = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, finetune={"strategy": "top_k", "top_k": 1})
    for i, v in enumerate(old.weights):  # every weight a different value, so a misplaced one shows
        v.assign(tf.fill(v.shape, float(i)))
    save_weights(old, str(tmp_path / "keras"), ["a", "b"])
    new = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2)
    warm_start(new, str(tmp_path / "keras"), ["a", "b"])
    values = {_short(v): v.numpy() for v in old.weights}
    for v in new.weights:
        np.testing.assert_array_equal(v.numpy(), values[_short(v)], err_msg=v.name)


def test_a_merged_lora_model_warm_starts_a_new_lora_model(tiny_bert_dir, tmp_path):
    from kerasknow.models.lora_merge import merge_lora

    lora = {"strategy": "lora", "lora_rank": 2}
    tf.keras.utils.set_random_seed(0)
    old = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, finetune=lora)
    for v in old.trainable_weights:  # stand-in for training
        v.assign(v + 0.1 * tf.random.normal(v.shape))
    merge_lora(old)
    save_weights(old, str(tmp_path / "keras"), ["a", "b"])
    tf.keras.utils.set_random_seed(1)
    new = build_bert_sequence_classifier(tiny_bert_dir, num_labels=2, finetune=lora)
    warm_start(new, str(tmp_path / "keras"), ["a", "b"])
    # The new updates start at B = 0: the new model computes what the merged old one does.
    np.testing.assert_allclose(new(_inputs()).numpy(), old(_inputs()).numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"The saved model has \d+ weights, the new one \d+: not the same "
                                         r"architecture \(an adapter model updates with finetune.strategy: adapter\)"):
        warm_start(build_bert_sequence_classifier(tiny_bert_dir, num_labels=2,
                                                  finetune={"strategy": "adapter", "adapter_size": 4}),
                   str(tmp_path / "keras"), ["a", "b"])
