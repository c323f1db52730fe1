"""Class weights of an update's training set: the math, the dataset, when the Trainer applies them,
and that they move a real model's decision toward the few-example classes."""
import numpy as np
import pytest
import tensorflow as tf

from kerasknow.config import RunConfig
from kerasknow.errors import ConfigError
from kerasknow.family.registry import get_task_family
from kerasknow.training.train_context import TrainContext
from kerasknow.update.class_balance import class_weights, weighted_by_class
from kerasknow.update.update_plan import UpdatePlan
from kerasknow.update.update_training import balanced_update_data

LABELS = ["sport", "tech", "art"]
# A replay update: 5 replayed examples of each old class, 40 new ones of art.
COUNTS = {"sport": 5, "tech": 5, "art": 40}


def test_each_class_gets_the_same_total_weight_and_the_mean_weight_is_one():
    weights = class_weights(LABELS, COUNTS)
    totals = [w * COUNTS[label] for label, w in zip(LABELS, weights)]
    assert totals == pytest.approx([50 / 3] * 3)
    assert sum(totals) == pytest.approx(sum(COUNTS.values()))
    assert class_weights(LABELS, {"art": 7}) == [1.0, 1.0, 1.0]


def test_a_power_between_0_and_1_evens_the_classes_out_part_of_the_way():
    unweighted, half, full = (class_weights(LABELS, COUNTS, p) for p in (0.0, 0.5, 1.0))
    assert unweighted == pytest.approx([1.0, 1.0, 1.0])
    assert half[0] / half[2] == pytest.approx((40 / 5) ** 0.5) and full[0] / full[2] == pytest.approx(40 / 5)
    assert sum(w * COUNTS[label] for label, w in zip(LABELS, half)) == pytest.approx(50)


@pytest.mark.parametrize("value", [-0.1, 1.5, True, "1"])
def test_class_balance_outside_0_to_1_is_refused_at_config_time(value):
    with pytest.raises(ConfigError, match=r"update.class_balance .*must be a number from 0"):
        RunConfig(task="text-classification", update={"class_balance": value})


@pytest.mark.parametrize("counts, message", [({"music": 3}, "label vocabulary"), ({"art": 0}, "positive integers")])
def test_bad_counts_are_refused(counts, message):
    with pytest.raises(ValueError, match=message):
        class_weights(LABELS, counts)


def test_the_dataset_carries_each_examples_class_weight():
    ds = tf.data.Dataset.from_tensor_slices(({"ids": tf.zeros([4, 2])}, tf.constant([0, 2, 1, 2], tf.int64)))
    (x, y, w), = weighted_by_class(ds.batch(4), class_weights(LABELS, COUNTS))
    assert x["ids"].shape == (4, 2) and y.numpy().tolist() == [0, 2, 1, 2]
    assert w.numpy() == pytest.approx([50 / 15, 50 / 120, 50 / 15, 50 / 120])


def _ctx(strategy="replay", previous="blessed", task="text-classification", balance=1.0, summary=None):
    config = RunConfig(task=task, update={"strategy": strategy, "class_balance": balance})
    plan = UpdatePlan(strategy, previous, LABELS[:2], {"training_labels": COUNTS} if summary is None else summary)
    return TrainContext(config=config, labels=LABELS, train_files=[], eval_files=[], model_run_dir="",
                        serving_model_dir="", hyperparameters={}, update=plan)


def _batches():
    return tf.data.Dataset.from_tensors((tf.zeros([3, 1]), tf.constant([0, 1, 2])))


@pytest.mark.parametrize("task", ["text-classification", "image-classification"])
def test_a_warm_started_classifier_update_trains_weighted(task):
    (_, _, w), = balanced_update_data(get_task_family(task), _batches(), _ctx(task=task))
    assert w.numpy() == pytest.approx(class_weights(LABELS, COUNTS))
    half = _ctx(task=task, balance=0.5)
    (_, _, w), = balanced_update_data(get_task_family(task), _batches(), half)
    assert w.numpy() == pytest.approx(class_weights(LABELS, COUNTS, 0.5))


@pytest.mark.parametrize("kwargs", [dict(strategy="retrain"), dict(previous=""), dict(balance=0.0),
                                    dict(task="ner")])
def test_retrain_first_runs_ner_and_the_switch_off_train_unweighted(kwargs):
    ds, ctx = _batches(), _ctx(**kwargs)
    assert balanced_update_data(get_task_family(ctx.config.task), ds, ctx) is ds


def test_an_update_plan_without_label_counts_names_the_switch():
    with pytest.raises(ConfigError, match="update.class_balance: 0"):
        balanced_update_data(get_task_family("text-classification"), _batches(), _ctx(summary={}))


def test_weighting_raises_the_recall_of_a_class_with_few_examples():
    # 90 examples of class 0 around x=0, 10 of class 1 around x=1.5: unweighted, the boundary sits
    # past most of class 1; weighted, the two classes pull alike.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0.0, 1.0, 90), rng.normal(1.5, 1.0, 10)]).astype("float32")[:, None]
    y = np.array([0] * 90 + [1] * 10)
    ds = tf.data.Dataset.from_tensors((x, y))

    def recall_of_class_1(data):
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.Sequential([tf.keras.Input((1,)), tf.keras.layers.Dense(2)])
        model.compile(tf.keras.optimizers.SGD(0.5), tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data, epochs=200, verbose=0)
        return float(np.mean(model.predict(x[90:], verbose=0).argmax(-1) == 1))

    unweighted = recall_of_class_1(ds)
    weighted = recall_of_class_1(weighted_by_class(ds, class_weights(["a", "b"], {"a": 90, "b": 10})))
    assert unweighted <= 0.3 and weighted >= 0.7, (unweighted, weighted)
