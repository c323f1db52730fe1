"""kerasknow's console: whole lines everywhere, a live status line and bars on a terminal only."""
import io

from kerasknow import progress
from kerasknow.progress import Bar, Console, format_seconds


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_off_a_terminal_only_whole_lines_are_written_and_copied_to_the_log():
    out, log = io.StringIO(), io.StringIO()
    console = Console(out, log=log)
    console.status("  Trainer  running")
    console.show_bar(Bar("epoch 1/2", 10, "batches"))
    console.line("  Trainer  ran  1.0s")
    assert out.getvalue() == log.getvalue() == "  Trainer  ran  1.0s\n"


def test_on_a_terminal_the_status_and_bar_are_redrawn_in_place_and_erased_before_a_line():
    out = _Terminal()
    console = Console(out, min_interval=0.0)
    console.status("  Trainer  running")
    bar = Bar("epoch 1/2", 4, "batches", console)
    bar.update(2, "loss 0.5000")
    live = "  Trainer  running  epoch 1/2 [##########..........] 2/4 batches  loss 0.5000  0.0s"
    assert out.getvalue().endswith("\r" + live)
    console.line("done")
    # The live line is blanked before the whole line, then drawn again below it.
    tail = out.getvalue().split("done\n")
    assert tail[0].endswith("\r" + " " * len(live) + "\r")
    assert tail[1].startswith("\r  Trainer  running")
    bar.close()
    console.status("")
    assert out.getvalue().endswith("\r" + " " * len("  Trainer  running"))


def test_bars_do_nothing_without_an_attached_terminal_console():
    progress.detach()
    with progress.bar("reading", unit="records") as b:
        b.update(5)
    assert b.n == 5 and b.render().startswith("reading 5 records")
    out = io.StringIO()
    progress.attach(Console(out))
    try:
        with progress.bar("reading") as b:
            b.update(1)
    finally:
        progress.detach()
    assert out.getvalue() == ""


def test_format_seconds():
    assert [format_seconds(s) for s in (0.04, 59.94, 61, 3600)] == ["0.0s", "59.9s", "1m01s", "1h00m"]
