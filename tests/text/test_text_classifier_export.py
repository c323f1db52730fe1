"""export_text_classifier: raw-text and tf.Example signatures, fresh-process loading."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.text.text_classifier_export import export_text_classifier
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

LABELS = ["business", "politics", "sport"]
TEXTS = ["Shares rose sharply on Monday.", "", "The match ended 2-1 after extra time!",
         "Ministers met in Brussels to discuss café prices and résumé rules."]
MAX_LENGTH = 16


def _example(text: str) -> bytes:
    feature = {"text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[text.encode()]))}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


@pytest.fixture(scope="module")
def classifier(tiny_bert_dir):
    import transformers

    tf.random.set_seed(0)
    model = transformers.TFBertForSequenceClassification.from_pretrained(
        tiny_bert_dir, num_labels=len(LABELS))
    # With BERT's small initial weights the [CLS] output hardly depends on the text; larger
    # kernels make probabilities depend visibly on the token ids, so the agreement tests can
    # catch a tokenisation difference.
    kernels = [v for v in model.trainable_variables if "kernel" in v.name]
    for seed, kernel in enumerate(kernels):
        kernel.assign(tf.random.stateless_normal(
            kernel.shape, seed=[0, seed], stddev=1.0 / np.sqrt(kernel.shape[0])))
    return model


@pytest.fixture(scope="module")
def exported(classifier, tiny_bert_dir, tmp_path_factory):
    tokenizer = InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=MAX_LENGTH)
    export_dir = str(tmp_path_factory.mktemp("text_export") / "1")
    assert export_text_classifier(classifier, export_dir, tokenizer, LABELS) == export_dir
    return export_dir


def test_signatures_and_outputs(exported):
    loaded = tf.saved_model.load(exported)
    assert set(loaded.signatures) == {"serving_default", "serving_examples"}
    out = loaded.signatures["serving_default"](texts=tf.constant(TEXTS))
    assert set(out) == {"labels", "class_ids", "probabilities", "classes"}
    assert out["classes"].numpy().tolist() == [[label.encode() for label in LABELS]] * len(TEXTS)
    assert out["labels"].dtype == tf.string and out["labels"].shape == (len(TEXTS),)
    assert out["class_ids"].dtype == tf.int64
    assert out["probabilities"].dtype == tf.float32
    assert out["probabilities"].shape == (len(TEXTS), len(LABELS))
    np.testing.assert_allclose(out["probabilities"].numpy().sum(axis=1), 1.0, atol=1e-5)
    labels = [x.decode() for x in out["labels"].numpy()]
    assert set(labels) <= set(LABELS)
    assert labels == [LABELS[i] for i in out["class_ids"].numpy()]
    assert out["class_ids"].numpy().tolist() == out["probabilities"].numpy().argmax(1).tolist()


def test_example_signature_agrees_with_text_signature(exported):
    loaded = tf.saved_model.load(exported)
    by_text = loaded.signatures["serving_default"](texts=tf.constant(TEXTS))
    by_example = loaded.signatures["serving_examples"](
        examples=tf.constant([_example(t) for t in TEXTS]))
    np.testing.assert_allclose(by_example["probabilities"], by_text["probabilities"], atol=1e-6)
    np.testing.assert_array_equal(by_example["labels"], by_text["labels"])


def test_agrees_with_keras_model_on_hugging_face_ids(exported, classifier, tiny_bert_dir):
    import transformers

    hf = transformers.BertTokenizerFast.from_pretrained(tiny_bert_dir)
    enc = hf(TEXTS, max_length=MAX_LENGTH, truncation=True, padding=True, return_tensors="tf")
    expected = tf.nn.softmax(classifier(dict(enc), training=False).logits).numpy()
    served = tf.saved_model.load(exported).signatures["serving_default"](texts=tf.constant(TEXTS))
    assert expected.std(axis=0).max() > 1e-3, expected  # texts get visibly different probabilities
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-5)


def test_assets(exported):
    with open(os.path.join(exported, "assets", "labels.txt"), encoding="utf-8") as f:
        assert f.read().splitlines() == LABELS
    assert os.path.isfile(os.path.join(exported, "assets", "vocab.txt"))


def test_loads_in_fresh_process_without_transformers_or_kerasknow(exported):
    code = (
        "import sys, tensorflow as tf, tensorflow_text\n"
        "m = tf.saved_model.load(sys.argv[1])\n"
        "out = m.signatures['serving_default'](texts=tf.constant(['Shares rose.', 'Goal!']))\n"
        "assert out['probabilities'].shape == (2, 3), out\n"
        "leaked = [k for k in sys.modules if k.split('.')[0] in ('transformers', 'kerasknow')]\n"
        "assert not leaked, leaked\n"
        "print('labels', out['labels'].numpy().tolist())\n"
    )
    done = subprocess.run([sys.executable, "-c", code, exported], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "labels [" in done.stdout


def test_mixed_precision_plain_keras_model_gives_float32(tiny_bert_dir, tmp_path):
    ids = tf.keras.Input([None], dtype=tf.int32, name="input_ids")
    mask = tf.keras.Input([None], dtype=tf.int32, name="attention_mask")
    types = tf.keras.Input([None], dtype=tf.int32, name="token_type_ids")
    x = tf.keras.layers.Embedding(30522, 8)(ids)
    x = tf.keras.layers.GlobalAveragePooling1D()(x, mask=tf.cast(mask, tf.bool))
    logits = tf.keras.layers.Dense(2, dtype="mixed_float16")(x)
    model = tf.keras.Model({"input_ids": ids, "attention_mask": mask, "token_type_ids": types},
                           logits)
    assert model.output.dtype == tf.float16
    tokenizer = InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=8)
    export_text_classifier(model, str(tmp_path), tokenizer, ["neg", "pos"])
    out = tf.saved_model.load(str(tmp_path)).signatures["serving_default"](
        texts=tf.constant(["good", "bad film"]))
    assert out["probabilities"].dtype == tf.float32
    np.testing.assert_allclose(out["probabilities"].numpy().sum(axis=1), 1.0, atol=1e-3)


def test_bad_arguments(classifier, tiny_bert_dir, tmp_path):
    tokenizer = InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=8)
    with pytest.raises(ConfigError, match=r"logits \[batch, 2\].*Received: logits shape"):
        export_text_classifier(classifier, str(tmp_path), tokenizer, ["a", "b"])
    with pytest.raises(ConfigError, match="`labels` must be unique"):
        export_text_classifier(classifier, str(tmp_path), tokenizer, ["a", "a", "b"])
    with pytest.raises(ConfigError, match="non-empty list of non-empty"):
        export_text_classifier(classifier, str(tmp_path), tokenizer, [])
    with pytest.raises(ConfigError, match="`labels` must be a list of class names"):
        export_text_classifier(classifier, str(tmp_path), tokenizer, "abc")
    with pytest.raises(ConfigError, match="`tokenizer` must be an InGraphBertTokenizer"):
        export_text_classifier(classifier, str(tmp_path), object(), LABELS)
    with pytest.raises(ConfigError, match="`model` must be a tf.keras model"):
        export_text_classifier("model", str(tmp_path), tokenizer, LABELS)
    with pytest.raises(ConfigError, match="`export_dir` must be a non-empty path"):
        export_text_classifier(classifier, "", tokenizer, LABELS)
    assert not os.listdir(tmp_path)  # nothing written when arguments are bad
