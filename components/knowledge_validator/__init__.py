"""KnowledgeValidator: TFDV anomalies plus the knowledge checks TFDV lacks."""
from kerasknow.components.knowledge_validator.component import KnowledgeValidator

__all__ = ["KnowledgeValidator"]
