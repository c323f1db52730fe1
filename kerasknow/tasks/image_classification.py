"""The image-classification task family: a pretrained backbone with a new head, two phases."""
import logging
import os
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.errors import ConfigError
from kerasknow.tasks.task_family import Finding, TaskFamily, TrainContext

EVAL_BATCH = 64
IMAGE_FORMATS = ("auto", "folder", "image_folder", "idx")

logger = logging.getLogger(__name__)


def is_idx_data(path: str) -> bool:
    """Whether `path` is an IDX images file or a folder holding one."""
    from kerasknow.images.idx_reader import _IMAGES_RE

    if os.path.isdir(path):
        return any(_IMAGES_RE.match(name) for name in os.listdir(path))
    return bool(_IMAGES_RE.match(os.path.basename(path)))


def phase_epochs(epochs: int, fine_tune_blocks: int):
    """`(frozen, fine_tune)` epochs: half of `epochs` (rounded down) fine-tunes when blocks are opened."""
    fine = epochs // 2 if fine_tune_blocks > 0 else 0
    return epochs - fine, fine


class ImageClassification(TaskFamily):
    """Labelled images -> a `tf.keras.applications` backbone + new head -> an image-bytes signature.

    Data: a folder of `<label>/<image>` (JPEG, PNG, BMP, GIF) or (Fashion-)MNIST IDX files
    (`input_format`: `auto`, `folder`, `idx`). Training has two phases: the head on a frozen
    backbone, then (when `fine_tune_blocks > 0`) the top `fine_tune_blocks` backbone blocks too,
    at a tenth of the learning rate, BatchNorm frozen. `epochs` is the total of both phases.

    Example:

    >>> from kerasknow.tasks.registry import get_task_family
    >>> get_task_family("image-classification").name
    'image-classification'
    """

    name = "image-classification"
    label_feature = "label"
    # MobileNetV2 on an AMX CPU ran 2x slower under bfloat16 and 12x slower with XLA: both stay
    # off on CPUs under "auto" (the class defaults); docs/performance.md.

    # ---- ingest ----------------------------------------------------------------------------
    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.images.idx_reader import IdxReader
        from kerasknow.images.image_folder_reader import ImageFolderReader

        fmt = config.input_format
        if fmt not in IMAGE_FORMATS:
            raise ConfigError(f"input_format for images must be one of {IMAGE_FORMATS}. Received: input_format={fmt!r}")
        if fmt == "idx" or (fmt == "auto" and os.path.exists(config.data) and is_idx_data(config.data)):
            return IdxReader(config.data).read(report)
        return ImageFolderReader(config.data).read(report)

    def to_example(self, record: KnowledgeRecord):
        return encode_features(record.features)

    # ---- knowledge validation --------------------------------------------------------------
    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        from kerasknow.images.image_checks import image_classification_checks

        return image_classification_checks(splits, config)

    # ---- model -----------------------------------------------------------------------------
    @staticmethod
    def image_size(config: RunConfig) -> int:
        from kerasknow.images.backbones import resolve_image_size

        return resolve_image_size(config.backbone, config.image_size)

    def build_model(self, hp, config: RunConfig, labels: List[str]):
        from kerasknow.images.image_classifier import build_image_classifier

        learning_rate = hp.Choice("learning_rate", config.learning_rates)
        dropout = hp.Choice("dropout", config.dropouts)
        plan = self.hardware_plan(config)
        augmentation = {}
        if plan.jit_compile:
            # XLA has no kernel for the projective transform behind RandomRotation/RandomZoom
            # (ImageProjectiveTransformV3); flips compile. Say so instead of failing mid-training.
            logger.warning("xla is on: image augmentation keeps random flips only (XLA cannot compile "
                           "RandomRotation/RandomZoom). On CPUs XLA measured ~12x slower for MobileNetV2; "
                           "set xla: off to keep them.")
            augmentation = dict(rotation=0.0, zoom=0.0)
        return build_image_classifier(len(labels), config.backbone, self.image_size(config),
                                      config.backbone_weights, dropout=dropout, learning_rate=learning_rate,
                                      jit_compile=plan.jit_compile, seed=config.seed, **augmentation)

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.images.image_input_pipeline import make_image_dataset

        size = self.image_size(ctx.config)
        train = make_image_dataset(ctx.train_files, ctx.labels, size, batch_size, training=True,
                                   max_examples=max_examples, seed=ctx.config.seed)
        evaluation = make_image_dataset(ctx.eval_files, ctx.labels, size, batch_size, training=False,
                                        max_examples=max_examples, seed=ctx.config.seed)
        return train, evaluation

    def fit(self, model, train_ds, eval_ds, callbacks: list, ctx: TrainContext):
        """Phase 1: head only; phase 2: the top `fine_tune_blocks` blocks at learning rate / 10.

        Returns:
            The phase-2 `History` (phase 1's when there is no phase 2), with
            `history.phase1` holding phase 1's.
        """
        import tensorflow as tf

        from kerasknow.images.image_classifier import compile_classifier, unfreeze_top_blocks
        from kerasknow.training.callbacks import fit_verbosity

        cfg = ctx.config
        frozen, fine = phase_epochs(cfg.epochs, cfg.fine_tune_blocks)
        first = model.fit(train_ds, validation_data=eval_ds, epochs=frozen, callbacks=callbacks,
                          verbose=fit_verbosity())
        if not fine:
            first.phase1 = first
            return first
        learning_rate = float(tf.keras.backend.get_value(model.optimizer.learning_rate)) / 10.0
        opened = unfreeze_top_blocks(model, cfg.fine_tune_blocks)
        with model.distribute_strategy.scope():
            compile_classifier(model, learning_rate, jit_compile=bool(model.jit_compile))
        # Phase 2 gets its own backup folder: restoring a phase-2 checkpoint into the phase-1
        # model (different optimizer) after a kill would fail.
        phase2_callbacks = [
            tf.keras.callbacks.BackupAndRestore(backup_dir=c.backup_dir + "-finetune", delete_checkpoint=True)
            if isinstance(c, tf.keras.callbacks.BackupAndRestore) else c for c in callbacks]
        tf.get_logger().info("Fine-tuning %d backbone layers at learning rate %g", len(opened), learning_rate)
        second = model.fit(train_ds, validation_data=eval_ds, epochs=frozen + fine, initial_epoch=frozen,
                           callbacks=phase2_callbacks, verbose=fit_verbosity())
        second.phase1 = first
        return second

    # ---- evaluation and export -------------------------------------------------------------
    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.images.image_export import export_image_classifier

        export_image_classifier(model, export_dir, ctx.labels)

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        from kerasknow.tasks.served_classifier_eval import evaluate_served_classifier

        return evaluate_served_classifier(
            saved_model_dir, "images", [ex["image"][0] for ex in eval_examples],
            [ex["label"][0].decode("utf-8") for ex in eval_examples], labels, batch_size=EVAL_BATCH)
