"""The image-classification task family: a pretrained backbone with a new head, two phases."""
import logging
import os
from typing import Any, Dict, List

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import encode_features
from kerasknow.data.knowledge_record import KnowledgeRecord
from kerasknow.data.rejects_report import RejectsReport
from kerasknow.images.image_spec import IMAGE_CLASSIFICATION
from kerasknow.family.task_family import TaskFamily
from kerasknow.training.train_context import TrainContext
from kerasknow.training.training_phase import TrainingPhase
from kerasknow.validation.finding import Finding

EVAL_BATCH = 64

logger = logging.getLogger(__name__)


class ImageClassification(TaskFamily):
    """Labelled images -> a `tf.keras.applications` backbone + new head -> an image-bytes signature.

    Data: a folder of `<label>/<image>` (JPEG, PNG, BMP, GIF) or (Fashion-)MNIST IDX files
    (`ingest.input_format`: `auto`, `folder`, `idx`). Training has two phases
    (`kerasknow.images.image_phases`): the head on a frozen backbone, then (when
    `finetune.top_k > 0`) the top `top_k` backbone blocks too, at a tenth of the learning rate,
    BatchNorm frozen. `training.epochs` is the total of both phases.

    Example:

    >>> ImageClassification().name
    'image-classification'
    """

    spec = IMAGE_CLASSIFICATION
    label_feature = "label"
    # MobileNetV2 on an AMX CPU ran 2x slower under bfloat16 and 12x slower with XLA: both stay
    # off on CPUs under "auto" (the class defaults); docs/performance.md.

    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.images.idx_reader import IdxReader, is_idx_data
        from kerasknow.images.image_folder_reader import ImageFolderReader

        fmt = config.ingest.input_format
        if fmt == "idx" or (fmt == "auto" and os.path.exists(config.data) and is_idx_data(config.data)):
            return IdxReader(config.data).read(report)
        return ImageFolderReader(config.data).read(report)

    def to_example(self, record: KnowledgeRecord):
        return encode_features(record.features)

    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        from kerasknow.images.image_checks import image_classification_checks

        return image_classification_checks(splits, config)

    @staticmethod
    def image_size(config: RunConfig) -> int:
        from kerasknow.images.backbones import resolve_image_size

        return resolve_image_size(config.model.backbone, config.model.image_size)

    def build_model(self, hp, ctx: TrainContext):
        from kerasknow.images.image_classifier import build_image_classifier

        cfg = ctx.config
        learning_rate = hp.Choice("learning_rate", cfg.learning_rates)
        dropout = hp.Choice("dropout", cfg.tuning.dropouts)
        augmentation = {}
        if ctx.plan.jit_compile:
            # XLA has no kernel for the projective transform behind RandomRotation/RandomZoom
            # (ImageProjectiveTransformV3); flips compile. Say so instead of failing mid-training.
            logger.warning("xla is on: image augmentation keeps random flips only (XLA cannot compile "
                           "RandomRotation/RandomZoom). On CPUs XLA measured ~12x slower for MobileNetV2; "
                           "set --xla off to keep them.")
            augmentation = dict(rotation=0.0, zoom=0.0)
        return build_image_classifier(len(ctx.labels), cfg.model.backbone, self.image_size(cfg),
                                      cfg.model.backbone_weights, dropout=dropout, learning_rate=learning_rate,
                                      jit_compile=ctx.plan.jit_compile, seed=cfg.training.seed, **augmentation)

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.images.image_input_pipeline import make_image_dataset

        size = self.image_size(ctx.config)
        seed = ctx.config.training.seed
        train = make_image_dataset(ctx.train_files, ctx.labels, size, batch_size, training=True,
                                   max_examples=max_examples, seed=seed)
        evaluation = make_image_dataset(ctx.eval_files, ctx.labels, size, batch_size, training=False,
                                        max_examples=max_examples, seed=seed)
        return train, evaluation

    def phases(self, model, ctx: TrainContext) -> List[TrainingPhase]:
        from kerasknow.images.image_phases import image_phases

        return image_phases(ctx.config.training.epochs, ctx.config.finetune.top_k)

    def export(self, model, export_dir: str, ctx: TrainContext) -> None:
        from kerasknow.images.image_export import export_image_classifier

        export_image_classifier(model, export_dir, ctx.labels)

    def serving_inputs(self, examples: List[Dict[str, Any]]) -> Dict[str, List[bytes]]:
        return {"images": [ex["image"][0] for ex in examples]}

    def evaluate(self, saved_model_dir: str, eval_examples: List[Dict[str, Any]], labels: List[str],
                 config: RunConfig) -> Dict[str, Any]:
        from kerasknow.metrics.served_classifier_eval import evaluate_served_classifier

        return evaluate_served_classifier(
            saved_model_dir, "images", self.serving_inputs(eval_examples)["images"],
            [ex["label"][0].decode("utf-8") for ex in eval_examples], labels, batch_size=EVAL_BATCH)
