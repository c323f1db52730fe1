"""Where kerasknow's own progress lines go: the terminal (and a copy in the run's log)."""
import threading
import time
from typing import IO, Optional


def format_seconds(seconds: float) -> str:
    """A short elapsed time: `0.4s`, `12.3s`, `2m05s`, `1h02m`.

    Example:

    >>> format_seconds(0.42), format_seconds(125), format_seconds(3725)
    ('0.4s', '2m05s', '1h02m')
    """
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Console:
    """Prints whole lines, and on a terminal one live status line that bars redraw in place.

    Thread-safe: the step watcher writes from its own thread while a step draws its bar.

    Args:
        stream: The terminal (or a file, or a test's buffer).
        log: A file that gets a copy of every whole line (the run's log), or None.
        live: Draw the live status line; None: only when `stream` is a terminal. Off a terminal
            there are no bars, only whole lines.
        min_interval: Fewest seconds between two redraws of the live line.
    """

    def __init__(self, stream: IO[str], log: Optional[IO[str]] = None, live: Optional[bool] = None,
                 min_interval: float = 0.2):
        self._stream = stream
        self._log = log
        if live is None:
            isatty = getattr(stream, "isatty", None)
            live = bool(isatty and isatty())
        self.live = live
        self._min_interval = min_interval
        self._lock = threading.RLock()
        self._status = ""
        self._bar = None
        self._shown = 0
        self._drawn_at = 0.0

    def line(self, text: str) -> None:
        """Prints `text` as whole line(s) above the live status line, and copies it to the log."""
        with self._lock:
            self._erase()
            self._stream.write(text + "\n")
            self._stream.flush()
            if self._log is not None:
                self._log.write(text + "\n")
                self._log.flush()
            self._draw(force=True)

    def status(self, text: str) -> None:
        """Sets the live status line's text (a terminal only; "" clears it)."""
        with self._lock:
            self._status = text
            if not text:
                self._bar = None
            self._draw(force=True)

    def show_bar(self, bar, force: bool = False) -> None:
        """Draws `bar` after the status text (None: no bar); called by `Bar` as it moves."""
        with self._lock:
            self._bar = bar
            self._draw(force=force)

    def _erase(self) -> None:
        if self.live and self._shown:
            self._stream.write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < self._min_interval:
            return
        self._drawn_at = now
        text = self._status
        if self._bar is not None:
            text = (text + "  " if text else "") + self._bar.render()
        self._stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self._stream.flush()
        self._shown = len(text)
