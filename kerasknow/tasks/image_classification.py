"""The image-classification task family: a pretrained backbone with a new head, two phases."""
import logging
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
    (`ingest.input_format`: `auto`, `folder`, `idx`). The default backbone is MobileNetV2 with
    real pretrained weights that install offline (`backbone_weights: auto`), at an input size
    chosen from the data (`image_size: 0`, `kerasknow.images.image_size_choice`). Training has two
    phases (`kerasknow.images.image_phases`): the head on a frozen backbone, then (when
    `finetune.top_k > 0`) the top `top_k` backbone blocks too, at a tenth of the learning rate,
    BatchNorm frozen (`finetune.strategy: top_k`, the default; `head`, `full` and `bitfit` stop
    after the head or open the whole backbone or its biases instead). `training.epochs` is the
    total of both phases. A random backbone (`backbone_weights: none`) is never frozen: it trains
    whole, and the run warns what that needs.

    Example:

    >>> ImageClassification().name
    'image-classification'
    """

    spec = IMAGE_CLASSIFICATION
    outputs_probabilities = True
    # MobileNetV2 on an AMX CPU ran 2x slower under bfloat16 and 12x slower with XLA: both stay
    # off on CPUs under "auto" (the class defaults); docs/performance.md.

    def read(self, config: RunConfig, report: RejectsReport):
        from kerasknow.data import file_system as fs
        from kerasknow.images.idx_reader import IdxReader, is_idx_data
        from kerasknow.images.image_folder_reader import ImageFolderReader

        fmt = config.ingest.input_format
        if fmt == "idx" or (fmt == "auto" and fs.exists(config.data) and is_idx_data(config.data)):
            return IdxReader(config.data).read(report)
        return ImageFolderReader(config.data).read(report)

    def to_example(self, record: KnowledgeRecord):
        return encode_features(record.features)

    def example_key(self, example: Dict[str, List[Any]]) -> str:
        import hashlib

        digest = example.get("image_sha256")
        if digest:
            return digest[0].decode("ascii") if isinstance(digest[0], bytes) else str(digest[0])
        return "bytes:" + hashlib.sha256(example["image"][0]).hexdigest()

    def knowledge_checks(self, splits: Dict[str, List[Dict[str, Any]]], config: RunConfig) -> List[Finding]:
        from kerasknow.images.image_checks import aggregate_facts, example_facts, image_findings, input_size_finding

        rows = [(split, ex) for split, exs in splits.items() for ex in exs]
        if not rows:
            return [Finding("no_examples", "error", "There are no examples to check.", {})]
        aggregates = aggregate_facts([example_facts(split, ex) for split, ex in rows])
        return image_findings(aggregates, config) + input_size_finding(aggregates, config)

    def knowledge_checks_transform(self, config: RunConfig):
        from kerasknow.images.image_checks_transform import ImageClassificationChecks

        return ImageClassificationChecks(config)

    def image_size(self, ctx: TrainContext):
        """The model's `ImageSizeChoice`: `model.image_size`, or chosen from the train split's
        measured sizes (once per run)."""
        def choose():
            from kerasknow.images.backbones import pretrained_image_size, resolve_image_size
            from kerasknow.images.image_size_choice import choose_image_size, measure_image_sizes

            model = ctx.config.model
            if model.image_size:
                return choose_image_size(0, 0, 0, resolve_image_size(model.backbone, model.image_size))
            height, width, channels = measure_image_sizes(ctx.train_files)
            if not height:  # examples without size features: the weights' own size
                height = width = pretrained_image_size(model.backbone, model.backbone_weights)
            choice = choose_image_size(height, width, pretrained_image_size(model.backbone, model.backbone_weights),
                                       model.image_size, channels)
            logger.info("Image input: %s", choice.describe())
            return choice

        return ctx.cached("image_size", choose)

    def default_epochs(self, ctx: TrainContext) -> int:
        from kerasknow.images.image_phases import default_image_epochs

        return default_image_epochs(ctx.num_train_examples(), ctx.config.training.batch_size,
                                    pretrained=self._pretrained(ctx.config))

    @staticmethod
    def _pretrained(config: RunConfig) -> bool:
        from kerasknow.images.backbones import is_pretrained

        return is_pretrained(config.model.backbone, config.model.backbone_weights)

    def build_model(self, hp, ctx: TrainContext):
        from kerasknow.images.image_classifier import build_image_classifier

        from kerasknow.training.search_space import SearchSpace

        # The trial's strategy (and its rank or top_k) in ctx.config.finetune: hp's, declared once for all families.
        space = SearchSpace.of(self, ctx)
        ctx = space.context(hp, ctx)
        trial = space.declare(hp)
        cfg = ctx.config
        if not self._pretrained(cfg):
            from kerasknow.images.image_phases import from_scratch_warning

            logger.warning(from_scratch_warning(cfg.model.backbone, self.epochs(ctx), ctx.num_train_examples()))
        if cfg.training.ema_momentum:
            import math

            from kerasknow.images.image_phases import moving_average_warning

            steps = math.ceil(ctx.num_train_examples() / cfg.training.batch_size) * self.epochs(ctx)
            warning = moving_average_warning(cfg.training.ema_momentum, steps)
            if warning:
                logger.warning(warning)
        learning_rate, dropout = trial["learning_rate"], trial["dropout"]
        augmentation = dict(flip=cfg.model.augment_flip, rotation=cfg.model.augment_rotation,
                            zoom=cfg.model.augment_zoom)
        if ctx.plan.jit_compile and (augmentation["rotation"] or augmentation["zoom"]):
            # XLA has no kernel for the projective transform behind RandomRotation/RandomZoom
            # (ImageProjectiveTransformV3); flips compile. Say so instead of failing mid-training.
            logger.warning("xla is on: image augmentation keeps random flips only (XLA cannot compile "
                           "RandomRotation/RandomZoom). On CPUs XLA measured ~12x slower for MobileNetV2; "
                           "set --xla off to keep them.")
            augmentation.update(rotation=0.0, zoom=0.0)
        return build_image_classifier(len(ctx.labels), cfg.model.backbone, self.image_size(ctx).size,
                                      cfg.model.backbone_weights, dropout=dropout, learning_rate=learning_rate,
                                      jit_compile=ctx.plan.jit_compile, seed=cfg.training.seed,
                                      ema_momentum=cfg.training.ema_momentum, **augmentation)

    def datasets(self, ctx: TrainContext, batch_size: int, max_examples: int = 0):
        from kerasknow.images.image_input_pipeline import make_image_dataset

        size = self.image_size(ctx).size
        seed = ctx.config.training.seed
        train = make_image_dataset(ctx.train_files, ctx.labels, size, batch_size, training=True,
                                   max_examples=max_examples, seed=seed)
        evaluation = make_image_dataset(ctx.eval_files, ctx.labels, size, batch_size, training=False,
                                        max_examples=max_examples, seed=seed)
        return train, evaluation

    def phases(self, model, ctx: TrainContext) -> List[TrainingPhase]:
        from kerasknow.images.image_phases import image_phases

        if not self._pretrained(ctx.config):
            # A random backbone is never frozen: it trains whole, in one phase.
            return [TrainingPhase("full", self.epochs(ctx), description="the whole network, from scratch")]
        finetune = ctx.config.finetune
        return image_phases(self.epochs(ctx), finetune.top_k, self.finetune_strategy(ctx), finetune.head_epochs)

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
