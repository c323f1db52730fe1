"""check_figures: the keys a benchmark promises, and only finite numbers."""
import pytest

from bench.common.check_figures import check_figures


def test_well_formed_figures_pass():
    check_figures({"ratio": 1.1, "rates": {"a": [1.0, 2]}, "name": "x", "flag": True}, ["ratio", "rates"])


def test_a_missing_key_is_named():
    with pytest.raises(ValueError, match=r"The figures lack \['ratio'\]"):
        check_figures({"rates": [1.0]}, ["ratio", "rates"])


def test_a_non_finite_number_is_named_with_its_place():
    with pytest.raises(ValueError, match=r"Received: figures.rates.a\[1\]=nan"):
        check_figures({"rates": {"a": [1.0, float("nan")]}}, ["rates"])


def test_figures_must_be_a_dict():
    with pytest.raises(ValueError, match="Received: list"):
        check_figures([1.0], [])
