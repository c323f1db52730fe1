"""replace_table: a generated table between its two markers, the rest of the document kept."""
import pytest

from bench.common.replace_table import replace_table

DOC = "intro\n\n<!-- bench:t:start -->\n\n| old |\n\n<!-- bench:t:end -->\n\nafter\n"


def test_the_table_between_the_markers_is_replaced_and_the_rest_kept():
    assert replace_table(DOC, "t", "| new |\n|---|\n") == (
        "intro\n\n<!-- bench:t:start -->\n\n| new |\n|---|\n\n<!-- bench:t:end -->\n\nafter\n")


def test_replacing_with_the_same_table_changes_nothing():
    assert replace_table(DOC, "t", "| old |") == DOC


@pytest.mark.parametrize("text", ["no markers", DOC + DOC, DOC.replace("<!-- bench:t:end -->", "")])
def test_missing_or_repeated_markers_are_an_error(text):
    with pytest.raises(ValueError, match="Expected the markers <!-- bench:t:start --> and <!-- bench:t:end --> once"):
        replace_table(text, "t", "| new |")


def test_an_end_marker_before_the_start_is_an_error():
    with pytest.raises(ValueError, match="Expected <!-- bench:t:start --> before <!-- bench:t:end -->"):
        replace_table("<!-- bench:t:end -->\n<!-- bench:t:start -->\n", "t", "| new |")
