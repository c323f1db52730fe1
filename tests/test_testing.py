"""make_tiny_bert_checkpoint builds a loadable tiny BERT."""
import json
import os
import re

import pytest

from kerasknow.testing import make_tiny_bert_checkpoint


def test_tiny_checkpoint_files_and_config(tiny_bert_dir):
    assert sorted(os.listdir(tiny_bert_dir)) == [
        "config.json", "tf_model.h5", "tokenizer_config.json", "vocab.txt"]
    with open(os.path.join(tiny_bert_dir, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
            config["intermediate_size"], config["vocab_size"],
            config["max_position_embeddings"]) == (16, 2, 2, 32, 30522, 512)


def test_tiny_checkpoint_loads_in_transformers(tiny_bert_dir):
    import transformers

    tagger = transformers.TFBertForTokenClassification.from_pretrained(tiny_bert_dir, num_labels=4)
    tokenizer = transformers.BertTokenizerFast.from_pretrained(tiny_bert_dir)
    enc = tokenizer(["Hello World"], return_tensors="tf")
    assert enc["input_ids"].numpy().tolist() == [[101, 7592, 2088, 102]]
    assert tagger(enc).logits.shape == (1, 4, 4)
    classifier = transformers.TFBertForSequenceClassification.from_pretrained(
        tiny_bert_dir, num_labels=3)
    # The encoder weights come from the file (the seeded tiny model), not a fresh init.
    base = transformers.TFBertModel.from_pretrained(tiny_bert_dir)
    assert (classifier.bert.embeddings.weights[0].numpy()
            == base.bert.embeddings.weights[0].numpy()).all()


def test_tiny_checkpoint_rejects_bad_heads(tmp_path):
    with pytest.raises(ValueError, match="positive multiple of `num_heads`"):
        make_tiny_bert_checkpoint(str(tmp_path), hidden_size=10, num_heads=3)


def test_tiny_checkpoint_is_repeatable(tmp_path):
    import h5py
    import numpy as np

    def weights(directory):
        out = {}

        def keep(name, obj):
            if isinstance(obj, h5py.Dataset):
                # Keras numbers model instances (tf_bert_model_1, ...) within one process.
                out[re.sub(r"tf_bert_model(_\d+)?", "tf_bert_model", name)] = obj[()]

        with h5py.File(os.path.join(directory, "tf_model.h5"), "r") as f:
            f.visititems(keep)
        return out

    a = weights(make_tiny_bert_checkpoint(str(tmp_path / "a"), seed=3))
    b = weights(make_tiny_bert_checkpoint(str(tmp_path / "b"), seed=3))
    c = weights(make_tiny_bert_checkpoint(str(tmp_path / "c"), seed=4))
    assert a.keys() == b.keys() and len(a) > 10
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a)
