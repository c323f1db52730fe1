"""merge_lora: the served model is a plain fine-tuned one (same variables and ops) with the same outputs."""
import collections

import numpy as np
import pytest
import tensorflow as tf

from kerasknow.models.lora_dense import LoRADense
from kerasknow.models.lora_merge import merge_lora
from kerasknow.models.weight_freezing import weights_in_build_order
from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

TEXTS = ["the market rallied", "a late goal won the match", "parliament votes today"]
LORA = {"strategy": "lora", "lora_rank": 2, "lora_alpha": 4.0, "lora_targets": ["query", "value", "intermediate"]}


def _short(variable) -> str:
    return variable.name.split("/", 1)[1]


def _build(tiny_bert_dir, finetune):
    tf.keras.utils.set_random_seed(0)
    return build_bert_sequence_classifier(tiny_bert_dir, 3, seed=0, finetune=finetune)


def _graph_ops(export_dir):
    """Op types over every function of the SavedModel, with their counts."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    with open(f"{export_dir}/saved_model.pb", "rb") as f:
        proto.ParseFromString(f.read())
    graph = proto.meta_graphs[0].graph_def
    ops = collections.Counter(node.op for node in graph.node)
    for function in graph.library.function:
        ops.update(node.op for node in function.node_def)
    return ops


def _saved_variables(export_dir):
    return sorted(shape for name, shape in tf.train.list_variables(f"{export_dir}/variables/variables")
                  if name != "_CHECKPOINTABLE_OBJECT_GRAPH")


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_dir):
    from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

    return InGraphBertTokenizer.from_checkpoint(tiny_bert_dir, max_length=16)


def test_merged_model_has_the_outputs_and_the_weights_of_a_plain_one(tiny_bert_dir, tokenizer):
    model = _build(tiny_bert_dir, LORA)
    loras = [layer for layer in model._flatten_layers() if isinstance(layer, LoRADense)]
    assert len(loras) == 2 * 3
    for i, lora in enumerate(loras):  # as if trained: updates that change the outputs visibly
        lora.lora_b.assign(tf.random.stateless_normal(lora.lora_b.shape, seed=[1, i], stddev=2.0))
    features = tokenizer(tf.constant(TEXTS))
    before = model(features, training=False).numpy()
    assert merge_lora(model) == 6
    after = model(features, training=False).numpy()
    np.testing.assert_allclose(after, before, atol=1e-5)
    assert not [v.name for v in model.weights if "lora" in v.name]
    assert not [layer for layer in model._flatten_layers() if isinstance(layer, LoRADense)]
    plain = _build(tiny_bert_dir, None)
    assert [_short(v) for v in weights_in_build_order(model)] == [_short(v) for v in weights_in_build_order(plain)]
    # The updates are in the kernels: far more than the tolerance away from the base model.
    assert np.abs(after - plain(features, training=False).numpy()).max() > 1e-4
    assert merge_lora(model) == 0


def test_exported_merged_model_is_a_fully_fine_tuned_ones_graph(tiny_bert_dir, tokenizer, tmp_path):
    from kerasknow.text.text_classifier_export import export_text_classifier

    labels = ["business", "sport", "politics"]
    model = _build(tiny_bert_dir, LORA)
    x = tokenizer(tf.constant(TEXTS))
    model.train_on_batch(x, np.array([0, 1, 2], "int32"))
    unmerged = tf.nn.softmax(model(x, training=False)).numpy()
    merge_lora(model)
    export_text_classifier(model, str(tmp_path / "lora"), tokenizer, labels)
    export_text_classifier(_build(tiny_bert_dir, None), str(tmp_path / "full"), tokenizer, labels)

    assert _saved_variables(str(tmp_path / "lora")) == _saved_variables(str(tmp_path / "full"))
    assert _graph_ops(str(tmp_path / "lora")) == _graph_ops(str(tmp_path / "full"))
    served = tf.saved_model.load(str(tmp_path / "lora")).signatures["serving_default"](texts=tf.constant(TEXTS))
    np.testing.assert_allclose(served["probabilities"].numpy(), unmerged, atol=1e-5)


def test_merged_ner_export_carries_no_lora_optimizer_state(tiny_bert_dir, tokenizer, tmp_path):
    from kerasknow.ner.ner_export import export_ner_model
    from kerasknow.ner.token_classifier import build_token_classifier

    labels = ["O", "B-PER", "I-PER"]
    tf.keras.utils.set_random_seed(0)
    model = build_token_classifier(tiny_bert_dir, 3, finetune=LORA)
    ids = np.full((2, 6), 2000, "int32")
    model.train_on_batch({"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
                         np.zeros((2, 6), "int32"))
    assert merge_lora(model) == 6
    export_ner_model(model, str(tmp_path / "lora"), tokenizer, labels)
    # The export tracks the Keras model and so its optimizer: the merged model's has no slots for
    # the LoRA variables left, like an untrained plain model's (which has built no metrics yet).
    export_ner_model(build_token_classifier(tiny_bert_dir, 3), str(tmp_path / "plain"), tokenizer, labels)

    def saved(name):
        return {key: shape for key, shape in tf.train.list_variables(str(tmp_path / name / "variables" / "variables"))
                if "keras_api/metrics/" not in key}

    assert saved("lora") == saved("plain")
