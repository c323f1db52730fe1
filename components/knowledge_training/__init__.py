"""TFX's Tuner and Trainer with executors that hand the module file the pipeline run id."""
from kerasknow.components.knowledge_training.component import KnowledgeTrainer, KnowledgeTuner
