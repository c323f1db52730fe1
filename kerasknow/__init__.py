"""kerasknow: knowledge bases to served TensorFlow models, with TFX.

Importing kerasknow sets `TF_USE_LEGACY_KERAS=1` (see `kerasknow._env`) so it must come before
TensorFlow's first import. Heavy modules load lazily on attribute access.
"""
from kerasknow import _env  # noqa: F401  (must run before TensorFlow is imported)

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it; loaded on first access so `kerasknow --help` stays fast.
_LAZY = {
    "RunConfig": "kerasknow.config",
    "TaskSpec": "kerasknow.task_spec",
    "TrainContext": "kerasknow.training.train_context",
    "TrainingPhase": "kerasknow.training.training_phase",
    "SearchSpace": "kerasknow.training.search_space",
    "RejectsReport": "kerasknow.data.rejects_report",
    "KnowledgeRecord": "kerasknow.data.knowledge_record",
    "TaskFamily": "kerasknow.family.task_family",
    "Finding": "kerasknow.validation.finding",
    "get_task_family": "kerasknow.family.registry",
    "KerasknowError": "kerasknow.errors",
    "ConfigError": "kerasknow.errors",
    "DataError": "kerasknow.errors",
    "KnowledgeValidationError": "kerasknow.errors",
    "BlessingError": "kerasknow.errors",
    "MissingDependencyError": "kerasknow.errors",
    # Readers.
    "TextClassificationReader": "kerasknow.text.text_classification_reader",
    "ConllReader": "kerasknow.ner.conll_reader",
    "ImageFolderReader": "kerasknow.images.image_folder_reader",
    "IdxReader": "kerasknow.images.idx_reader",
    # Models, layers and input pipelines.
    "build_bert_sequence_classifier": "kerasknow.text.bert_sequence_classifier",
    "build_token_classifier": "kerasknow.ner.token_classifier",
    "build_image_classifier": "kerasknow.images.image_classifier",
    "LinearWarmupDecay": "kerasknow.models.linear_warmup_decay",
    "HashDropout": "kerasknow.models.hash_dropout",
    "use_hash_dropout": "kerasknow.models.hash_dropout",
    "ImageAugmentation": "kerasknow.images.image_augmentation",
    "BackbonePreprocess": "kerasknow.images.backbone_preprocess",
    "InGraphBertTokenizer": "kerasknow.text.in_graph_bert_tokenizer",
    "make_text_dataset": "kerasknow.text.text_input_pipeline",
    "make_ner_dataset": "kerasknow.ner.ner_input_pipeline",
    "make_image_dataset": "kerasknow.images.image_input_pipeline",
    "HardwarePlan": "kerasknow.training.hardware_plan",
    # Export, pipeline, serving.
    "export_text_classifier": "kerasknow.text.text_classifier_export",
    "export_ner_model": "kerasknow.ner.ner_export",
    "export_image_classifier": "kerasknow.images.image_export",
    "create_pipeline": "kerasknow.pipelines.knowledge_pipeline",
    "run_local": "kerasknow.local_run",
    "compile_kubeflow": "kerasknow.kubeflow_compile",
    "ContainerResources": "kerasknow.kubeflow_compile",
    "DevModelServer": "kerasknow.serving.model_server",
    "PredictionClient": "kerasknow.serving.prediction_client",
    # Artifact types: their TFX type names (`kerasknow.KnowledgeReport`) are these import paths,
    # which Kubeflow's container entrypoint imports to rebuild an artifact from its type.
    "KnowledgeRejects": "kerasknow.components.knowledge_artifacts",
    "KnowledgeReport": "kerasknow.components.knowledge_artifacts",
    "KnowledgeEvaluation": "kerasknow.components.knowledge_artifacts",
    "KnowledgePreflight": "kerasknow.components.knowledge_artifacts",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kerasknow' has no attribute {name!r}")


def __dir__():
    return __all__
