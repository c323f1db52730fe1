"""Named-entity recognition's declarations (see `kerasknow.task_spec.TaskSpec`)."""
from kerasknow.task_spec import BERT_STRATEGY_LEARNING_RATES, TaskSpec

NER = TaskSpec(
    name="ner",
    summary="CoNLL token<TAB>tag files (IOB2; IOB1 converted) -> TF BERT token classifier",
    input_formats=("auto", "conll"),
    learning_rates=(1e-4, 5e-5),
    label_feature="tags",
    free_text_features=("tokens",),
    length_features=("num_tokens",),
    strategy_learning_rates=BERT_STRATEGY_LEARNING_RATES,
    tuner_objective="val_token_accuracy",
    accuracy_name="token accuracy",
    f1_name="entity micro-F1",
)
