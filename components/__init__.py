"""kerasknow's custom TFX components (installed as `kerasknow.components`).

- `KnowledgeExampleGen`: knowledge files -> tf.Example splits, with a rejects report.
- `KnowledgeValidator`: TFDV anomalies plus the knowledge checks TFDV lacks.
- `KnowledgeEvaluator`: metrics on the exported model, TensorBoard, and the blessing.
- `KnowledgePusher`: preflight, atomic push, warm-up requests, models.config and its labels.
"""
