"""TensorBoard on a logdir and Debian's chromium, headless: for the TensorBoard test and the docs' screenshots."""
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Iterator, List, Optional

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DASHBOARDS = ("timeseries", "scalars", "images", "pr_curves", "hparams", "text")


@contextlib.contextmanager
def tensorboard(logdir: str, timeout: float = 120.0) -> Iterator[str]:
    """TensorBoard on `logdir`, bound to 127.0.0.1 on a free port; yields its URL."""
    process = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1",
                                "--port", "0", "--reload_interval", "1"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    found: List[str] = []

    def read():
        for line in process.stderr:
            match = re.search(r"TensorBoard \S+ at (http://127\.0\.0\.1:\d+/)", line)
            if match:
                found.append(match.group(1))

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + timeout
        while not found and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert found, f"TensorBoard did not start (exit code {process.poll()})"
        yield found[0]
    finally:
        process.terminate()
        process.wait(timeout=30)


def get_json(url: str, body: Optional[dict] = None):
    """A TensorBoard data API answer (POST with `body`)."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def wait_for_runs(url: str, runs, timeout: float = 60.0) -> List[str]:
    """`/data/runs` once it lists every run in `runs` (TensorBoard loads the logdir in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        listed = get_json(url + "data/runs")
        if set(runs) <= set(listed) or time.monotonic() > deadline:
            return listed
        time.sleep(1)


def _chromium(*args: str) -> subprocess.CompletedProcess:
    # As root Chromium needs --no-sandbox; virtual time lets the page's scripts finish before the dump.
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=20000", *args], capture_output=True, text=True, timeout=120)


def rendered_dom(url: str) -> str:
    """The page's DOM after its scripts ran, as the browser rendered it."""
    done = _chromium("--dump-dom", url)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, path: str, width: int = 1500, height: int = 1000) -> str:
    """A PNG of the page at `url`."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    done = _chromium(f"--window-size={width},{height}", f"--screenshot={path}", url)
    assert done.returncode == 0 and os.path.exists(path), done.stderr[-2000:]
    return path


def main(argv: Optional[List[str]] = None) -> int:
    """`python tests/e2e/board_browser.py LOGDIR FOLDER`: a screenshot of every dashboard into FOLDER."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("logdir", help="a TensorBoard logdir (an output folder's tensorboard/)")
    parser.add_argument("folder", help="where the PNGs go (one per dashboard)")
    args = parser.parse_args(argv)
    with tensorboard(args.logdir) as url:
        deadline = time.monotonic() + 60
        while not get_json(url + "data/runs") and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(5)  # let TensorBoard finish reading the event files
        for dashboard in DASHBOARDS:
            print(screenshot(url + f"#{dashboard}", os.path.join(args.folder, f"{dashboard}.png")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
