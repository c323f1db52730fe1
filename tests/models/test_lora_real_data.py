"""LoRA against full fine-tuning on real data with the real MiniLM, one test per BERT family.

Each trains both strategies the way the Trainer does (`build_model`, BERT's warm-up then decay,
`fit`, `merge_lora`, `export`) on the same split and scores the exported SavedModel, the one TF
Serving would load, on the same held-out examples (`TaskFamily.evaluate`, through the serving
signature). What `python -m bench finetune_strategies` measures on the whole of BBC News, here on
a subset that fits the slow suite.
"""
import pytest
import tensorflow as tf

from kerasknow.config import RunConfig
from kerasknow.testing import train_and_evaluate

#: The learning rates of docs/finetuning.md's benchmark: full at the family default, LoRA at its own
#: default (`TaskSpec.strategy_learning_rates`: 2e-3, measured on BBC News).
RATES = {"full": 1e-4, "lora": 2e-3}


def _served_metrics(tmp_path, task, data, strategy, **sections):
    tf.keras.utils.set_random_seed(0)
    sections.setdefault("training", {}).update({"early_stopping_patience": 0, "seed": 0})
    cfg = RunConfig(task=task, data=data, finetune={"strategy": strategy},
                    tuning={"learning_rates": [RATES[strategy]], "dropouts": [0.1]},
                    validation={"min_examples_per_label": 1}, **sections)
    run = train_and_evaluate(cfg, str(tmp_path / strategy))
    metrics, trained = run["metrics"], run["trainable"]
    print(f"{task} {strategy}: accuracy {metrics['accuracy']:.4f}, f1 {metrics['f1']:.4f}, "
          f"{trained.trainable:,} of {trained.total:,} trainable, {run['train_examples']} train / "
          f"{run['eval_examples']} eval")
    return metrics, trained, run["merged"]


@pytest.mark.slow
def test_lora_classifies_bbc_articles_within_two_points_of_full(tmp_path):
    from kerasknow.demo import bbc_news_dir, subset_folder

    # 800 articles of 5 classes: about 120 optimizer steps in 3 epochs. On 400 (60 steps) LoRA at
    # its default rate ended 2.5 points under full (0.938 against 0.963 on 81 articles): the
    # low-rank update needs the steps the benchmark gives it (docs/finetuning.md).
    data = subset_folder(bbc_news_dir(), str(tmp_path / "bbc"), 160)
    sections = {"model": {"max_seq_length": 128}, "training": {"epochs": 3, "batch_size": 16}}
    full, _, _ = _served_metrics(tmp_path, "text-classification", data, "full", **sections)
    lora, trained, merged = _served_metrics(tmp_path, "text-classification", data, "lora", **sections)
    assert merged == 12  # query and value of MiniLM's 6 layers, folded before export
    assert trained.fraction < 0.01
    assert full["accuracy"] > 0.8  # chance is 0.2: both learnt the task
    assert lora["accuracy"] >= full["accuracy"] - 0.02, (lora["accuracy"], full["accuracy"])


@pytest.mark.slow
def test_lora_tags_wnut_within_two_points_of_full(tmp_path):
    """Token accuracy within 2 points of full, and LoRA finds entities (an all-O tagger's token
    accuracy is about 0.94 on WNUT with entity F1 0)."""
    from kerasknow.demo import first_sentences, wnut_file

    data = first_sentences(wnut_file(), str(tmp_path / "wnut.conll"), 1500)
    sections = {"model": {"max_seq_length": 64}, "training": {"epochs": 6, "batch_size": 16}}
    full, _, _ = _served_metrics(tmp_path, "ner", data, "full", **sections)
    lora, trained, merged = _served_metrics(tmp_path, "ner", data, "lora", **sections)
    assert merged == 12 and trained.fraction < 0.01
    assert full["f1"] > 0.15
    assert lora["accuracy"] >= full["accuracy"] - 0.02, (lora["accuracy"], full["accuracy"])
    assert lora["f1"] > 0.05, lora["f1"]
