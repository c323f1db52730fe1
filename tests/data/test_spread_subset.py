import pytest
import tensorflow as tf

from kerasknow.data.spread_subset import spread_subset
from kerasknow.errors import ConfigError


def _label_sorted(labels=5, per_label=40):
    """Records as a folder input yields them: all of label 0, then all of label 1, ..."""
    return tf.data.Dataset.from_tensor_slices(
        [f"label{l}/{i}".encode() for l in range(labels) for i in range(per_label)])


def test_subset_of_label_sorted_records_keeps_every_label_in_proportion():
    subset = [r.decode() for r in spread_subset(_label_sorted(), 20).as_numpy_iterator()]
    assert len(subset) == 20
    counts = {}
    for record in subset:
        counts[record.split("/")[0]] = counts.get(record.split("/")[0], 0) + 1
    assert counts == {f"label{l}": 4 for l in range(5)}
    # The prefix it replaces would have held one label only.
    assert {r.decode().split("/")[0] for r in _label_sorted().take(20).as_numpy_iterator()} == {"label0"}


def test_stride_and_order():
    assert [int(x) for x in spread_subset(tf.data.Dataset.range(10), 4)] == [0, 3, 6, 9]
    assert [int(x) for x in spread_subset(tf.data.Dataset.range(10), 3)] == [0, 4, 8]


def test_small_datasets_and_zero_are_returned_whole():
    ds = tf.data.Dataset.range(5)
    assert spread_subset(ds, 5) is ds
    assert spread_subset(ds, 50) is ds
    assert spread_subset(ds, 0) is ds


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_bad_max_examples(bad):
    with pytest.raises(ConfigError, match="max_examples"):
        spread_subset(tf.data.Dataset.range(5), bad)
