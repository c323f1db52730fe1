"""kerasknow's own progress on the terminal: whole lines, and bars inside long steps.

The command line attaches a `Console` for a run (`attach`); the steps draw bars through `bar()`,
which does nothing when no console is attached (a pipeline step in a container, a test, the
Python API), so library code can always call it. Nothing here configures logging.
"""
from kerasknow.progress.bars import Bar, attach, bar, current, detach, open_bar
from kerasknow.progress.console import Console, format_seconds
