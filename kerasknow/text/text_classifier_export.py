"""Exports a BERT text classifier as a SavedModel that takes raw text.

The SavedModel holds the tokenizer (as TensorFlow ops), the classifier's weights and the label
names; it has two signatures:

- `serving_default`: `texts` (tf.string `[None]`) -> `labels` (tf.string `[B]`), `class_ids`
  (int64 `[B]`), `probabilities` (float32 `[B, C]`), `classes` (tf.string `[B, C]`, the class
  names in `probabilities`' order).
- `serving_examples`: `examples` (serialised `tf.Example`s with a bytes feature `text`,
  tf.string `[None]`) -> the same outputs; the form TFX's Evaluator-style tooling feeds.

Loading needs only TensorFlow plus `import tensorflow_text` (to register its ops in Python; TF
Serving has them built in). Neither transformers nor kerasknow is needed.
"""
import os
import tempfile

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import tensorflow as tf

from kerasknow.errors import ConfigError
from kerasknow.models.classifier_outputs import classifier_outputs
from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

LABELS_FILENAME = "labels.txt"
TEXT_FEATURE = "text"


def _logits_of(outputs) -> tf.Tensor:
    """The logits of a Keras model's or a transformers model's output."""
    if hasattr(outputs, "logits"):
        return outputs.logits
    if isinstance(outputs, dict):
        if "logits" not in outputs:
            raise ConfigError(
                "The model returned a dict without `logits`. "
                f"Received: keys={sorted(outputs)}. Fix: return logits [batch, classes]."
            )
        return outputs["logits"]
    if isinstance(outputs, (list, tuple)):
        return outputs[0]
    return outputs


class _TextClassifierServingModule(tf.Module):
    """Tokenizer + classifier weights + labels, with the two serving functions."""

    def __init__(self, model, tokenizer: InGraphBertTokenizer, labels: list, labels_path: str):
        super().__init__(name="text_classifier")
        self.tokenizer = tokenizer
        # The weights are tracked directly instead of the Keras model, so saving does not run
        # Keras' per-layer SavedModel tracing (slow, and fragile for transformers models).
        self.model_variables = list(model.variables)
        self._call_model = model.__call__  # a plain method: not tracked
        self.labels_file = tf.saved_model.Asset(labels_path)
        self._labels = list(labels)

    def _predict(self, texts: tf.Tensor) -> dict:
        features = self.tokenizer(texts)
        logits = _logits_of(self._call_model(features, training=False))
        # Mixed-precision models give float16/bfloat16 logits; softmax in float32.
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)
        return classifier_outputs(probabilities, self._labels)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def serve_texts(self, texts):
        return self._predict(texts)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(self, examples):
        parsed = tf.io.parse_example(
            examples, {TEXT_FEATURE: tf.io.FixedLenFeature([], tf.string)}
        )
        return self._predict(parsed[TEXT_FEATURE])


def _check_labels(labels) -> list:
    if isinstance(labels, (str, bytes)) or not isinstance(labels, (list, tuple)):
        raise ConfigError(
            f"`labels` must be a list of class names. Received: labels={labels!r}"
        )
    labels = list(labels)
    if not labels or any(not isinstance(x, str) or not x or "\n" in x for x in labels):
        raise ConfigError(
            "`labels` must be a non-empty list of non-empty, single-line strings, one per "
            f"class in the model's output order. Received: labels={labels!r}"
        )
    if len(set(labels)) != len(labels):
        raise ConfigError(f"`labels` must be unique. Received: labels={labels!r}")
    return labels


def export_text_classifier(
    model, export_dir: str, tokenizer: InGraphBertTokenizer, labels: list
) -> str:
    """Writes a SavedModel that classifies raw text (see the module docstring for signatures).

    Args:
        model: A `tf.keras` model taking a dict of int32 `[batch, length]` tensors
            `input_ids`, `attention_mask`, `token_type_ids` and returning logits
            `[batch, classes]`, or an object/dict with `logits` (transformers models).
        export_dir: Directory to write; existing SavedModel files there are overwritten.
        tokenizer: The tokenizer the model was trained with.
        labels: Class names in the order of the model's logits; written to
            `assets/labels.txt`.

    Returns:
        `export_dir`.

    Raises:
        ConfigError: When an argument is invalid, or the model's number of classes differs
            from `len(labels)`.

    Example:
    ```python
    export_text_classifier(model, "/tmp/export/1", tokenizer, ["business", "sport"])
    import tensorflow_text  # registers the tokenizer's ops
    served = tf.saved_model.load("/tmp/export/1").signatures["serving_default"]
    served(texts=tf.constant(["Shares rose."]))["labels"]
    ```
    """
    if not callable(model) or not hasattr(model, "variables"):
        raise ConfigError(
            "`model` must be a tf.keras model mapping BERT inputs to logits. "
            f"Received: model={type(model).__name__}"
        )
    if not isinstance(export_dir, (str, os.PathLike)) or not os.fspath(export_dir):
        raise ConfigError(
            f"`export_dir` must be a non-empty path. Received: export_dir={export_dir!r}"
        )
    if not isinstance(tokenizer, InGraphBertTokenizer):
        raise ConfigError(
            "`tokenizer` must be an InGraphBertTokenizer (so the SavedModel can take raw "
            f"text). Received: tokenizer={type(tokenizer).__name__}. Fix: "
            "InGraphBertTokenizer.from_checkpoint(checkpoint_dir)."
        )
    labels = _check_labels(labels)
    export_dir = os.fspath(export_dir)

    probe = _logits_of(model(tokenizer(tf.constant(["probe"])), training=False))
    if probe.shape.rank != 2 or probe.shape[-1] != len(labels):
        raise ConfigError(
            f"The model must return logits [batch, {len(labels)}] (one per label). "
            f"Received: logits shape {probe.shape} for labels={labels!r}."
        )

    with tempfile.TemporaryDirectory(prefix="kerasknow_labels_") as tmp:
        labels_path = os.path.join(tmp, LABELS_FILENAME)
        with open(labels_path, "w", encoding="utf-8") as f:
            f.write("".join(f"{label}\n" for label in labels))
        module = _TextClassifierServingModule(model, tokenizer, labels, labels_path)
        signatures = {
            "serving_default": module.serve_texts.get_concrete_function(),
            "serving_examples": module.serve_examples.get_concrete_function(),
        }
        tf.saved_model.save(module, export_dir, signatures=signatures)
    return export_dir
