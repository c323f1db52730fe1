import pytest

from kerasknow.data.split import assign_split


def test_split_is_deterministic_and_close_to_ratio():
    keys = [f"text number {i}" for i in range(4000)]
    first = [assign_split(k, 0.2) for k in keys]
    assert first == [assign_split(k, 0.2) for k in keys]
    fraction = first.count("eval") / len(keys)
    assert 0.17 < fraction < 0.23


# That a record keeps its split when knowledge grows is tested through the real ingest:
# components/knowledge_example_gen/executor_test.py::test_reingesting_grown_data_keeps_every_old_record_in_its_split


def test_bad_fraction():
    with pytest.raises(ValueError, match=r"eval_fraction must be in \(0, 1\). Received: eval_fraction=1.0"):
        assign_split("x", 1.0)
