"""Pushes a SavedModel again and again, as the pusher does (stage, warm-up file, commit, models.config),
until killed: the subject of the kill test in test_model_release.py.

    python push_forever.py SAVED_MODEL MODEL_BASE_PATH

It imports TensorFlow once and then, for each line read on stdin, forks a pusher and prints its
pid, so the test can kill pushes at random moments without paying for the import every time.
"""
import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import os
import sys

from kerasknow.serving.model_release import ModelRelease
from kerasknow.serving.warmup_requests import predict_requests, write_warmup_requests


def push_forever(source: str, base: str) -> None:
    release = ModelRelease(base)
    requests = predict_requests("toy", {"texts": ["a", "bb", "ccc"]})
    while True:
        staging = release.stage(source, source=source)
        write_warmup_requests(staging, requests)
        with release.lock():
            version = release.commit(staging)
        release.add_version(version)
        with release.lock():
            release.retire(3)


def main(source: str, base: str) -> None:
    print("ready", flush=True)
    for _ in sys.stdin:
        while True:  # reap the pushers the test killed
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        pid = os.fork()
        if pid == 0:
            try:
                push_forever(source, base)
            finally:
                os._exit(1)
        print(pid, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
