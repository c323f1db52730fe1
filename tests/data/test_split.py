import pytest

from kerasknow.data.split import assign_split


def test_split_is_deterministic_and_close_to_ratio():
    keys = [f"text number {i}" for i in range(4000)]
    first = [assign_split(k, 0.2) for k in keys]
    assert first == [assign_split(k, 0.2) for k in keys]
    fraction = first.count("eval") / len(keys)
    assert 0.17 < fraction < 0.23


def test_a_record_keeps_its_split_when_data_is_added():
    old = {k: assign_split(k, 0.3) for k in (f"old {i}" for i in range(500))}
    # Adding new keys (and assigning them) never changes the old assignments.
    _ = [assign_split(f"new {i}", 0.3) for i in range(500)]
    assert all(assign_split(k, 0.3) == v for k, v in old.items())


def test_bad_fraction():
    with pytest.raises(ValueError, match=r"eval_fraction must be in \(0, 1\). Received: eval_fraction=1.0"):
        assign_split("x", 1.0)
