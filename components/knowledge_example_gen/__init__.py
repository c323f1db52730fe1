"""KnowledgeExampleGen: knowledge files in, tf.Example train/eval splits and a rejects report out."""
from kerasknow.components.knowledge_example_gen.component import KnowledgeExampleGen

__all__ = ["KnowledgeExampleGen"]
