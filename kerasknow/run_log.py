"""A quiet command-line run: kerasknow's own lines on the terminal, everything else in the log.

While `quiet_run` is active, every library's output (Python logging from absl, TFX, Beam,
transformers and TensorFlow; `print`s such as Keras Tuner's search summaries and Keras' epoch
lines; warnings; and what TensorFlow's C++ code writes to the process's stdout and stderr, e.g.
XLA's `I0000`/`W0000` lines) goes to `<output>/kerasknow.log`; with `verbose` it is also copied
to the terminal. kerasknow's own progress goes through the `Console` it yields, to the terminal
and the log. Only the command line uses this: library modules never configure logging.
"""
import codecs
import contextlib
import datetime
import logging
import os
import sys
import threading
import warnings
from typing import IO, Iterator, Optional

from kerasknow import progress
from kerasknow.progress import Console

LOG_NAME = "kerasknow.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_path(output: str) -> str:
    """The run log of an output folder: in it, or for an output URI (`gs://...`) in its local
    folder (`kerasknow.config.run_config.local_state_dir`): the log is appended line by line."""
    from kerasknow.config.run_config import local_state_dir

    return os.path.join(local_state_dir(output), LOG_NAME)


def _terminal(stream: IO[str], redirected_fds) -> IO[str]:
    """A stream to the terminal that survives the redirection of `redirected_fds`.

    A stream on fd 1 or 2 (the real terminal) gets a duplicate of its descriptor; any other
    stream (a test's capture buffer) is used as it is.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return stream
    if fd not in redirected_fds:
        return stream
    stream.flush()
    terminal = open(os.dup(fd), "w", buffering=1, encoding=getattr(stream, "encoding", None) or "utf-8",
                    errors="replace")
    terminal.isatty = stream.isatty  # the duplicate is the same terminal
    return terminal


class _Tee(threading.Thread):
    """Copies what arrives on a pipe to the log file, and to the terminal when verbose."""

    def __init__(self, read_fd: int, log: IO[str], terminal: Optional[IO[str]]):
        super().__init__(name="kerasknow-log-tee", daemon=True)
        self._read_fd, self._log, self._terminal = read_fd, log, terminal

    def run(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        with open(self._read_fd, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    return
                text = decoder.decode(chunk)
                try:
                    self._log.write(text)
                    self._log.flush()
                    if self._terminal is not None:
                        self._terminal.write(text)
                        self._terminal.flush()
                except ValueError:  # closed after the run: a child process kept the pipe open
                    return


def _stream_handlers():
    """Every `StreamHandler` (not a file's) of every logger that exists."""
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    handlers = {id(h): h for lg in loggers for h in lg.handlers
                if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)}
    return list(handlers.values())


@contextlib.contextmanager
def quiet_run(output: str, verbose: bool = False, stdout: Optional[IO[str]] = None) -> Iterator[Console]:
    """Routes all library output of the block to `<output>/kerasknow.log` and yields the `Console`.

    Args:
        output: The output folder (the log's folder is created if missing); the log is appended to.
        verbose: Also show the library output on the terminal.
        stdout: The terminal stream (default: `sys.stdout` as it is on entry).

    Yields:
        The `Console` for kerasknow's own lines (attached for progress bars for the block).
    """
    os.makedirs(os.path.dirname(log_path(output)), exist_ok=True)
    log = open(log_path(output), "a", buffering=1, encoding="utf-8", errors="replace")
    log.write(f"\n===== kerasknow {' '.join(sys.argv[1:]) or '(API)'} at "
              f"{datetime.datetime.now().isoformat(timespec='seconds')} =====\n")
    stdout = stdout or sys.stdout
    terminal = _terminal(stdout, (1, 2))
    saved_streams = (sys.stdout, sys.stderr)
    for stream in saved_streams:
        stream.flush()

    # The process's fds 1 and 2 (C++ output) and Python's streams all go into one pipe, in order.
    read_fd, write_fd = os.pipe()
    saved_fds = {fd: os.dup(fd) for fd in (1, 2)}
    tee = _Tee(read_fd, log, terminal if verbose else None)
    tee.start()
    for fd in (1, 2):
        os.dup2(write_fd, fd)
    os.close(write_fd)
    # Never closed: a handler a library created during the run keeps writing to fd 2, which is
    # the original stderr again after the run.
    redirected = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    sys.stdout = sys.stderr = redirected

    # Libraries with a handler of their own (transformers, TensorFlow once it has logged) write
    # to the log too while the run lasts.
    swapped = [(h, h.stream) for h in _stream_handlers()]
    for h, _ in swapped:
        h.setStream(redirected)
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level)
    handler = logging.StreamHandler(redirected)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    # absl's logger (TFX logs through it) takes the level of absl's --verbosity flag once anything
    # has parsed absl flags (TensorBoard does): WARNING, which would keep TFX's step lines out of
    # the log. The log is for everything, so INFO while the run lasts.
    absl_logger = logging.getLogger("absl")
    saved_absl_level = absl_logger.level
    absl_logger.setLevel(logging.INFO)
    logging.captureWarnings(True)
    saved_filters = warnings.filters[:]
    warnings.simplefilter("default")  # each warning once per place, into the log

    console = Console(terminal, log=log)
    progress.attach(console)
    try:
        yield console
    finally:
        progress.detach()
        warnings.filters[:] = saved_filters
        logging.captureWarnings(False)
        root.handlers, level = saved_logging
        root.setLevel(level)
        absl_logger.setLevel(saved_absl_level)
        for h, stream in swapped:
            h.setStream(stream)
        redirected.flush()
        sys.stdout, sys.stderr = saved_streams
        for fd, saved in saved_fds.items():
            os.dup2(saved, fd)
            os.close(saved)
        tee.join(timeout=10)  # ends when the last writer of the pipe is gone
        if terminal is not stdout:
            terminal.close()
        log.close()
