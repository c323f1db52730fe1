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
    ```python
    d = make_tiny_bert_checkpoint("/tmp/tiny_bert")
    model = transformers.TFBertForSequenceClassification.from_pretrained(d, num_labels=3)
    ```
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
        family: A `kerasknow.family.task_family.TaskFamily`.
        config: The run config (`data`, the `ingest` section).
        out_dir: The Examples folder: `Split-train/` and `Split-eval/` are written there.
        report: A `RejectsReport` to fill; a new one with `ingest.max_reject_fraction` if None.

    Returns:
        `(report, files, decoded, labels)`: the rejects report, the TFRecord path per split, the
        decoded examples per split (as the knowledge checks take them) and the sorted labels.

    Example:

    ```python
    report, files, decoded, labels = ingest_to_splits(get_task_family("ner"), cfg, "/tmp/examples")
    ```
    """
    from kerasknow.data.example_codec import decode_example
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.data.split import assign_split
    from kerasknow.data.write_examples import SPLITS, split_file, write_examples

    report = report if report is not None else RejectsReport(config.ingest.max_reject_fraction)
    decoded, labels = {split: [] for split in SPLITS}, set()

    def serialized():
        for record in family.read(config, report):
            split = assign_split(record.key, config.ingest.eval_fraction)
            data = family.to_example(record).SerializeToString()
            decoded[split].append(decode_example(data))
            labels.update(family.labels_of(record))
            yield split, data

    write_examples(out_dir, serialized())
    return report, {split: split_file(out_dir, split) for split in SPLITS}, decoded, sorted(labels)


def train_context(config, labels, files, out_dir: str, family=None):
    """A `TrainContext` over `ingest_to_splits`'s files, with the hardware plan detected.

    Args:
        config: The run config.
        labels: The label vocabulary.
        files: Split name -> TFRecord file (`ingest_to_splits`'s second value) or list of files.
        out_dir: Parent of the run's `run/` (TensorBoard) and `export/` folders.
        family: The task family whose plan to detect; `config.task`'s by default.

    Returns:
        A `kerasknow.training.train_context.TrainContext`.
    """
    from kerasknow.family.registry import get_task_family
    from kerasknow.training.train_context import TrainContext

    family = family or get_task_family(config.task)
    def listed(value):
        return list(value) if isinstance(value, (list, tuple)) else [value]

    return TrainContext(config=config, labels=list(labels), train_files=listed(files["train"]),
                        eval_files=listed(files["eval"]), model_run_dir=os.path.join(out_dir, "run"),
                        serving_model_dir=os.path.join(out_dir, "export"), hyperparameters={}).with_plan(family)


def train_and_evaluate(config, out_dir: str, callbacks=(), run_eagerly: bool = False) -> dict:
    """Trains `config`'s model as the Trainer's `run_fn` does and scores the exported model.

    Ingests `config.data` (`ingest_to_splits`), builds the model of the trial the config names
    (`build_model` with empty hyperparameters: the config's first choices), fits it (the
    family's phases and schedule), merges LoRA into its kernels, exports the SavedModel TF
    Serving would load and evaluates it through its serving signature on the eval split
    (`TaskFamily.evaluate`). Unlike `run_fn`, only `callbacks` run (no early stopping,
    TensorBoard or backup), so every recipe trains its configured epochs. For tests and
    benchmarks that compare training recipes on the same data.

    Args:
        config: The run config (`config.data` is read).
        out_dir: Folder for the examples, TensorBoard run and export.
        callbacks: Extra Keras callbacks for every phase's `fit`.
        run_eagerly: Run `fit` eagerly (smoke runs: no tracing); the previous setting is
            restored afterwards.

    Returns:
        A dict: `metrics` (`evaluate`'s), `trainable` (a `TrainableSummary` taken before the
        merge), `merged` (LoRA layers folded), `history` (`fit`'s), `fit_seconds`,
        `train_examples`, `eval_examples`.
    """
    import time

    import keras_tuner
    import tensorflow as tf

    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.family.registry import get_task_family
    from kerasknow.models.lora_merge import merge_lora
    from kerasknow.models.trainable_summary import TrainableSummary

    family = get_task_family(config.task)
    _, files, decoded, labels = ingest_to_splits(family, config, os.path.join(out_dir, "examples"), RejectsReport())
    ctx = train_context(config, labels, files, out_dir, family)
    model = family.build_model(keras_tuner.HyperParameters(), ctx)
    train_ds, eval_ds = family.datasets(ctx, config.training.batch_size)
    eagerly = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(run_eagerly)
    try:
        start = time.perf_counter()
        history = family.fit(model, train_ds, eval_ds, list(callbacks), ctx)
        fit_seconds = time.perf_counter() - start
    finally:
        tf.config.run_functions_eagerly(eagerly)
    trainable = TrainableSummary.of(model, family.finetune_strategy(ctx))
    merged = merge_lora(model)
    family.export(model, ctx.serving_model_dir, ctx)
    metrics = family.evaluate(ctx.serving_model_dir, decoded["eval"], labels, config)
    return {"metrics": metrics, "trainable": trainable, "merged": merged, "history": history,
            "fit_seconds": fit_seconds, "train_examples": len(decoded["train"]), "eval_examples": len(decoded["eval"])}


def artifact(artifact_type, uri: str):
    """A new TFX artifact of `artifact_type` (e.g. `standard_artifacts.Examples`) at `uri`."""
    new = artifact_type()
    new.uri = uri
    return new


def exported_model(config, examples, root: str):
    """An untrained model of `config.task`'s family, exported as the Trainer would, in a `Model` artifact.

    Args:
        config: The run config (its `model` section picks the tiny model).
        examples: The `Examples` artifact (`run_example_gen`'s), for the labels and split files.
        root: Folder for the artifact (`model/`) and the training context (`run/`).

    Returns:
        The `Model` artifact; its SavedModel is in `Format-Serving/`.
    """
    import keras_tuner
    from tfx.types import standard_artifacts

    from kerasknow.components.component_io import split_files
    from kerasknow.data.label_vocabulary import read_labels
    from kerasknow.family.registry import get_task_family

    family = get_task_family(config.task)
    # KnowledgeExampleGen writes Beam's shards: a list of files per split.
    files = {s: split_files(examples, s) for s in ("train", "eval")}
    ctx = train_context(config, read_labels(examples.uri), files, os.path.join(root, "run"), family)
    model = artifact(standard_artifacts.Model, os.path.join(root, "model"))
    family.export(family.build_model(keras_tuner.HyperParameters(), ctx), os.path.join(model.uri, "Format-Serving"),
                  ctx)
    return model


def run_example_gen(config, root: str):
    """Runs KnowledgeExampleGen's real executor on `config.data`; returns `(examples, rejects)` artifacts.

    Args:
        config: The run config (its `data` and `ingest` section are what the executor is handed).
        root: Folder for the artifacts (`examples/`, `rejects/`).

    Returns:
        The filled `Examples` and `KnowledgeRejects` artifacts.
    """
    from tfx.types import standard_artifacts

    from kerasknow.components.component_keys import CONFIG_KEY, EXAMPLES_KEY, INPUT_FINGERPRINT_KEY, REJECTS_KEY
    from kerasknow.components.knowledge_artifacts import KnowledgeRejects
    from kerasknow.components.knowledge_example_gen.component import KnowledgeExampleGen, fingerprint_inputs
    from kerasknow.components.knowledge_example_gen.executor import Executor

    examples = artifact(standard_artifacts.Examples, os.path.join(root, "examples"))
    rejects = artifact(KnowledgeRejects, os.path.join(root, "rejects"))
    Executor().Do({}, {EXAMPLES_KEY: [examples], REJECTS_KEY: [rejects]},
                  {CONFIG_KEY: config.to_json(KnowledgeExampleGen.CONFIG_SECTIONS),
                   INPUT_FINGERPRINT_KEY: fingerprint_inputs(config.data)})
    return examples, rejects


def run_statistics_and_schema(examples, root: str):
    """Runs TFX's own StatisticsGen and SchemaGen executors on `examples`; returns both artifacts."""
    from tfx.components.schema_gen import executor as schema_gen_executor
    from tfx.components.statistics_gen import executor as statistics_gen_executor
    from tfx.types import standard_artifacts
    from tfx.types import standard_component_specs as keys

    statistics = artifact(standard_artifacts.ExampleStatistics, os.path.join(root, "statistics"))
    statistics.split_names = examples.split_names
    statistics_gen_executor.Executor().Do({keys.EXAMPLES_KEY: [examples]}, {keys.STATISTICS_KEY: [statistics]},
                                          {keys.EXCLUDE_SPLITS_KEY: "[]"})
    schema = artifact(standard_artifacts.Schema, os.path.join(root, "schema"))
    schema_gen_executor.Executor().Do({keys.STATISTICS_KEY: [statistics]}, {keys.SCHEMA_KEY: [schema]},
                                      {keys.INFER_FEATURE_SHAPE_KEY: 0, keys.EXCLUDE_SPLITS_KEY: "[]"})
    return statistics, schema


TINY_BACKBONE = "MobileNetV2(alpha=0.35)"


def make_tiny_backbone_weights(path: str, backbone: str = TINY_BACKBONE, image_size: int = 32, seed: int = 0) -> str:
    """Writes the weights of a small random backbone to `path` (an `.h5` file) and returns `path`.

    As `model.backbone_weights`, the file stands for pretrained weights in tests: the backbone
    is frozen and fine-tuned in phases as a pretrained one would be, in seconds.
    """
    import tensorflow as tf

    from kerasknow.images.backbones import build_backbone

    tf.keras.utils.set_random_seed(seed)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    build_backbone(backbone, image_size, "none").save_weights(path)
    return path


def summary_tags(logdir: str):
    """The TensorBoard tags in the event files of one run folder, by plugin: `{"scalars": {...}, ...}`.

    Example: `summary_tags("out/tensorboard/<run>/evaluation")["images"]`.
    """
    import glob
    import os

    import tensorflow as tf

    tags = {}
    for path in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                tags.setdefault(value.metadata.plugin_data.plugin_name, set()).add(value.tag)
    return tags
