"""KnowledgeBase: new knowledge merged into the old, and the examples an update trains on."""
from kerasknow.components.knowledge_base.component import KnowledgeBase

__all__ = ["KnowledgeBase"]
