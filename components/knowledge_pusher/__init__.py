"""KnowledgePusher: preflight, atomic push, warm-up requests, models.config and its labels."""
from kerasknow.components.knowledge_pusher.component import KnowledgePusher

__all__ = ["KnowledgePusher"]
