"""Helpers for tests and examples: tiny, fast stand-ins for real checkpoints."""
import json
import os
import shutil

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)


def make_tiny_bert_checkpoint(
    directory: str,
    hidden_size: int = 16,
    num_layers: int = 2,
    num_heads: int = 2,
    intermediate_size: int = 32,
    seed: int = 0,
) -> str:
    """Writes a tiny, randomly initialised BERT checkpoint with MiniLM's real vocabulary.

    The directory loads with `transformers.TFBert*.from_pretrained(directory)` (task heads
    are newly initialised) and with `BertTokenizerFast.from_pretrained(directory)`, so
    tests exercise the real loading and tokenisation paths in about a second.

    Args:
        directory: Where to write; created if missing.
        hidden_size: Hidden size; must be divisible by `num_heads`.
        num_layers: Number of transformer layers.
        num_heads: Number of attention heads.
        intermediate_size: Feed-forward width.
        seed: Seed for the random weights (re-seeds Python's, NumPy's and TensorFlow's
            global generators, as `tf.keras.utils.set_random_seed` does).

    Returns:
        `directory`, holding `config.json`, `tf_model.h5`, `vocab.txt` and
        `tokenizer_config.json` (`do_lower_case: true`).

    Raises:
        ValueError: When `hidden_size` is not divisible by `num_heads`.
        MissingDependencyError: When MiniLM's package (the vocabulary source) is missing.

    Example:
    >>> d = make_tiny_bert_checkpoint("/tmp/tiny_bert")
    >>> model = transformers.TFBertForSequenceClassification.from_pretrained(d, num_labels=3)
    """
    if hidden_size <= 0 or num_heads <= 0 or hidden_size % num_heads:
        raise ValueError(
            "`hidden_size` must be a positive multiple of `num_heads`. Received: "
            f"hidden_size={hidden_size}, num_heads={num_heads}"
        )
    import tensorflow as tf
    import transformers

    from kerasknow.models.checkpoints import default_checkpoint_dir

    os.makedirs(directory, exist_ok=True)
    # Seeds Python, NumPy and TensorFlow: tf_keras draws seeds for unseeded initializers from
    # Python's `random`, so tf.random.set_seed alone does not make the weights repeatable.
    tf.keras.utils.set_random_seed(seed)
    config = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=512,
    )
    model = transformers.TFBertModel(config)
    model(model.dummy_inputs)  # builds the weights so save_pretrained writes them
    model.save_pretrained(directory)
    shutil.copyfile(
        os.path.join(default_checkpoint_dir(), "vocab.txt"), os.path.join(directory, "vocab.txt")
    )
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"do_lower_case": True, "tokenizer_class": "BertTokenizer", "model_max_length": 512},
            f,
            indent=2,
        )
    return directory


def ingest_to_splits(family, config, out_dir: str, report=None):
    """What KnowledgeExampleGen does, without TFX: read, split by key, write GZIP TFRecords.

    For tests and benchmarks that exercise a task family's later steps on real files.

    Args:
        family: A `kerasknow.tasks.task_family.TaskFamily`.
        config: The run config (`data`, `eval_fraction`, the family's reader settings).
        out_dir: Where `Split-train/data.gz` and `Split-eval/data.gz` are written.
        report: A `RejectsReport` to fill; a new one with `config.max_reject_fraction` if None.

    Returns:
        `(report, files, decoded, labels)`: the rejects report, the TFRecord path per split, the
        decoded examples per split (as the knowledge checks take them) and the sorted labels.

    Example:

    >>> report, files, decoded, labels = ingest_to_splits(family, cfg, "/tmp/examples")  # doctest: +SKIP
    """
    import tensorflow as tf

    from kerasknow.data.example_codec import decode_example
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.data.split import assign_split

    report = report if report is not None else RejectsReport(config.max_reject_fraction)
    files, decoded, labels = {}, {"train": [], "eval": []}, set()
    writers = {}
    for split in ("train", "eval"):
        os.makedirs(os.path.join(out_dir, f"Split-{split}"), exist_ok=True)
        files[split] = os.path.join(out_dir, f"Split-{split}", "data.gz")
        writers[split] = tf.io.TFRecordWriter(files[split], tf.io.TFRecordOptions(compression_type="GZIP"))
    try:
        for record in family.read(config, report):
            split = assign_split(record.key, config.eval_fraction)
            serialized = family.to_example(record).SerializeToString()
            writers[split].write(serialized)
            decoded[split].append(decode_example(serialized))
            labels.update(family.labels_of(record))
    finally:
        for writer in writers.values():
            writer.close()
    return report, files, decoded, sorted(labels)
