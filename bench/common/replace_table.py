"""Replaces a generated table between its marker comments in a Markdown document."""


def _markers(name: str):
    """The start and end marker comments of table `name`: `<!-- bench:NAME:start -->` and `...:end -->`."""
    return f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"


def replace_table(text: str, name: str, table: str) -> str:
    """Puts `table` between table `name`'s markers, in place of what was there.

    The markers stay; a blank line separates each from the table so Markdown renders the
    table as one.

    Args:
        text: The document.
        name: The table's name (a benchmark's, usually).
        table: The Markdown table.

    Returns:
        The document with the table replaced.

    Raises:
        ValueError: When the document lacks either marker, has one of them twice, or has the
            end marker before the start marker.
    """
    start, end = _markers(name)
    counts = {marker: text.count(marker) for marker in (start, end)}
    if any(count != 1 for count in counts.values()):
        raise ValueError(f"Expected the markers {start} and {end} once each in the document. "
                         f"Received: {counts}")
    begin, finish = text.index(start) + len(start), text.index(end)
    if finish < begin:
        raise ValueError(f"Expected {start} before {end}. Received: the end marker at offset {finish}, "
                         f"the start marker at {begin - len(start)}")
    return f"{text[:begin]}\n\n{table.strip()}\n\n{text[finish:]}"
