"""Progress bars inside long steps (ingest, validation, tuner trials, training epochs)."""
import contextlib
import time
from typing import Iterator, Optional

from kerasknow.progress.console import Console, format_seconds

_console: Optional[Console] = None


def attach(console: Optional[Console]) -> None:
    """Makes `console` the one bars draw on (the command line does this for a run)."""
    global _console
    _console = console


def detach() -> None:
    """No console: bars do nothing."""
    attach(None)


def current() -> Optional[Console]:
    """The attached console, or None."""
    return _console


class Bar:
    """One progress bar: `label [#####.....] 120/240 batches  loss 0.53  1.2s`.

    Args:
        label: What is counted (`epoch 2/3`, `ingest`).
        total: The count at the end; None while unknown (then only the count is shown).
        unit: What is counted (`records`, `batches`).
        console: Where it draws; None: nowhere (every method is then cheap and does nothing).
        width: Characters of the bar itself.
    """

    def __init__(self, label: str, total: Optional[int] = None, unit: str = "",
                 console: Optional[Console] = None, width: int = 20):
        self.label = label
        self.total = total
        self.unit = unit
        self.n = 0
        self.postfix = ""
        self._console = console
        self._width = width
        self._start = time.monotonic()

    def update(self, n: int = 1, postfix: Optional[str] = None) -> None:
        """Adds `n` to the count; `postfix` replaces the text after it (e.g. the loss)."""
        self.n += n
        if postfix is not None:
            self.postfix = postfix
        if self._console is not None:
            self._console.show_bar(self)

    def render(self) -> str:
        """The bar as one line of text."""
        unit = f" {self.unit}" if self.unit else ""
        if self.total:
            filled = min(self._width, int(self._width * self.n / self.total))
            text = f"{self.label} [{'#' * filled}{'.' * (self._width - filled)}] {self.n}/{self.total}{unit}"
        else:
            text = f"{self.label} {self.n}{unit}"
        if self.postfix:
            text += f"  {self.postfix}"
        return text + f"  {format_seconds(time.monotonic() - self._start)}"

    def close(self) -> None:
        """Removes the bar from the live line."""
        if self._console is not None:
            self._console.show_bar(None, force=True)
            self._console = None


def open_bar(label: str, total: Optional[int] = None, unit: str = "") -> Bar:
    """A `Bar` on the attached console (drawing nothing without one, or off a terminal); `close()` it."""
    console = current()
    return Bar(label, total, unit, console if console is not None and console.live else None)


@contextlib.contextmanager
def bar(label: str, total: Optional[int] = None, unit: str = "") -> Iterator[Bar]:
    """A `Bar` on the attached console for the `with` block (drawing nothing without one).

    Example:

    >>> with bar("ingest", unit="records") as b:
    ...     b.update(30)
    >>> b.n
    30
    """
    b = open_bar(label, total, unit)
    try:
        yield b
    finally:
        b.close()
