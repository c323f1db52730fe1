"""KnowledgeEvaluator: metrics on the exported model, TensorBoard summaries, and the blessing."""
from kerasknow.components.knowledge_evaluator.component import KnowledgeEvaluator

__all__ = ["KnowledgeEvaluator"]
