"""step_note: the Trainer's progress line says what of the model trained."""
from kerasknow.metadata.run_record import RunRecord, step_note


def test_the_trainer_line_names_the_strategy_and_the_trained_share():
    record = RunRecord("20261202-010000", 0, [], model_id=7,
                       finetune={"strategy": "lora", "trainable_params": 75_653, "total_params": 22_788_869})
    assert step_note(record, "Trainer") == "model #7; lora: 75,653 of 22,788,869 parameters trained (0.33%)"
    # Models trained before the count was recorded.
    assert step_note(RunRecord("r", 0, [], model_id=7), "Trainer") == "model #7"
