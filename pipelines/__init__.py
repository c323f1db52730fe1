"""kerasknow's TFX pipelines (installed as `kerasknow.pipelines`); pure definitions, no runners."""
from kerasknow.pipelines.knowledge_pipeline import create_pipeline

__all__ = ["create_pipeline"]
