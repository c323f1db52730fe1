"""Text classification's declarations (see `kerasknow.task_spec.TaskSpec`)."""
from kerasknow.task_spec import BERT_STRATEGY_LEARNING_RATES, TaskSpec

TEXT_CLASSIFICATION = TaskSpec(
    name="text-classification",
    summary="labelled text (CSV, TSV, JSONL or <label>/*.txt folders) -> TF BERT sequence classifier",
    input_formats=("auto", "csv", "tsv", "jsonl", "folder"),
    # BERT fine-tuning wants ~1e-4 or less (docs/performance.md).
    learning_rates=(1e-4, 5e-5),
    free_text_features=("text",),
    length_features=("num_words",),
    strategy_learning_rates=BERT_STRATEGY_LEARNING_RATES,
    tuner_objective="val_accuracy",
)
