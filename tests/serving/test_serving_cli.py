"""`kerasknow serve` / `kerasknow predict` entry points (serving/cli.py)."""
import io
import socket
import threading

import pytest
from serving_toys import MODEL_NAME, wait_for

from kerasknow.serving.cli import predict_main, serve_main
from kerasknow.serving.prediction_client import PredictionClient


@pytest.mark.parametrize(
    "main, expected",
    [(serve_main, ["--model-base-path", "--model-name", "--model-config-file", "--rest-port", "--batching-parameters-file",
                   "--max-request-bytes", "tensorflow_model_server", "tensorflow/serving"]),
     (predict_main, ["--server", "--rest", "--model", "--signature", "--version-label", "--image", "TEXT"])],
)
def test_help_exits_zero(main, expected, capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in expected:
        assert flag in out


def test_predict_prints_formatted_predictions(served_toy, capsys):
    _, target = served_toy
    code = predict_main(["--server", target, "--model", MODEL_NAME, "hi", "a much longer text"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # Version 1's rule: more than 5 bytes is "long", p = sigmoid(length - 5).
    assert captured.out.splitlines() == ["hi -> short (p=0.95)", "a much longer text -> long (p=1.00)"]


def test_predict_images(served_toy, tmp_path, capsys):
    _, target = served_toy
    files = [tmp_path / "a.png", tmp_path / "b.jpg"]
    files[0].write_bytes(b"\x89PNG" + b"\x00" * 6)
    files[1].write_bytes(b"\xff\xd8\xff")
    argv = ["--server", target, "--model", MODEL_NAME, "--signature", "image_size"]
    for f in files:
        argv += ["--image", str(f)]
    assert predict_main(argv) == 0
    assert capsys.readouterr().out.splitlines() == [str(files[0]), "  num_bytes: 10", str(files[1]), "  num_bytes: 3"]


def test_predict_failures_print_one_line(served_toy, tmp_path, capsys):
    _, target = served_toy
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = f"127.0.0.1:{s.getsockname()[1]}"
    assert predict_main(["--server", free, "--model", MODEL_NAME, "--timeout", "5", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unreachable" in err and "kerasknow serve" in err

    assert predict_main(["--server", target, "--model", "other", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NOT_FOUND" in err and "Servable not found" in err

    assert predict_main(["--server", target, "--model", MODEL_NAME, "--image", str(tmp_path / "missing.png")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.png" in err

    assert predict_main(["--server", target, "--model", MODEL_NAME], stdin=io.StringIO("")) == 2
    assert "give either texts (TEXT arguments, --input FILE or stdin) or images" in capsys.readouterr().err
    assert predict_main(["hi"]) == 2  # --model is required
    assert "--model" in capsys.readouterr().err


def test_serve_main_serves_until_stopped(toy_base):
    started = []
    codes = []
    thread = threading.Thread(
        target=lambda: codes.append(
            serve_main(
                ["--model-base-path", toy_base, "--model-name", MODEL_NAME, "--port", "0", "--poll-seconds", "0.1"],
                on_started=started.append,
            )
        ),
        daemon=True,
    )
    thread.start()
    try:
        assert wait_for(lambda: started or not thread.is_alive(), timeout=30)
        assert started, f"serve_main returned {codes} before starting"
        server = started[0]
        with PredictionClient(f"127.0.0.1:{server.port}", MODEL_NAME) as client:
            assert client.status() == [(1, "AVAILABLE")]
    finally:
        if started:
            started[0].stop(grace=0)
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert codes == [0]


def test_serve_main_bad_base_path_fails_with_one_line(tmp_path, capsys):
    assert serve_main(["--model-base-path", str(tmp_path / "nope"), "--model-name", MODEL_NAME, "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a directory" in err


def test_serve_drains_and_exits_zero_on_sigterm(toy_base):
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-m", "kerasknow.cli", "serve", "--model-base-path", toy_base,
                              "--model-name", MODEL_NAME, "--port", "0", "--rest-port", "0"],
                             stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in child.stderr:  # bounded: the child logs its banner once serving, or fails
            lines.append(line)
            if "DEVELOPMENT model server" in line or "error" in line:
                break
        assert any("REST on 127.0.0.1:" in line for line in lines), lines
        child.send_signal(signal.SIGTERM)
        rest = child.stderr.read()
        assert child.wait(timeout=60) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert "SIGTERM: draining in-flight requests, then stopping." in rest


def test_serve_main_serves_a_model_config_over_grpc_and_rest(toy_base, tmp_path):
    from kerasknow.serving.model_config_file import ModelConfigFile
    from kerasknow.serving.rest_prediction_client import RestPredictionClient

    config = ModelConfigFile(str(tmp_path / "models.config"))
    config.set_entry(MODEL_NAME, toy_base, [1], {"stable": 1})
    started, codes = [], []
    argv = ["--model-config-file", config.path, "--allow-version-labels-for-unavailable-models", "--port", "0",
            "--rest-port", "0", "--enable-batching"]
    thread = threading.Thread(target=lambda: codes.append(serve_main(argv, on_started=started.append)), daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: started or not thread.is_alive(), timeout=60)
        assert started, f"serve_main returned {codes} before starting"
        server = started[0]
        assert server.batching is not None and "--enable_batching=true" in server.banner()
        with RestPredictionClient(f"http://127.0.0.1:{server.rest_port}", MODEL_NAME) as client:
            assert client.status() == [(1, "AVAILABLE")]
            assert list(client.predict_texts(["hi"], version_label="stable")["labels"]) == [b"short"]
    finally:
        if started:
            started[0].stop(grace=0)
        thread.join(timeout=30)
    assert codes == [0]
