"""bounded_int: integer options checked while parsing."""
import argparse

import pytest

from bench.common.bounded_int import bounded_int


def test_values_in_range_parse():
    assert bounded_int(1)("3") == 3
    assert bounded_int(3, 512)("512") == 512


@pytest.mark.parametrize("text", ["0", "513", "2.5", "many"])
def test_values_out_of_range_or_not_integers_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError, match=rf"expected an integer in \[1, 512\]. Received: '{text}'"):
        bounded_int(1, 512)(text)
