"""kerasknow's TFX pipelines (installed as `kerasknow.pipelines`); pure definitions, no runners."""
from kerasknow.pipelines.knowledge_pipeline import create_pipeline
from kerasknow.pipelines.validation_pipeline import create_validation_pipeline

__all__ = ["create_pipeline", "create_validation_pipeline"]
