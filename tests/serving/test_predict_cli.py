"""`kerasknow predict`: inputs from arguments, files and stdin; JSON and top-k output; no TensorFlow import."""
import io
import json
import subprocess
import sys

import pytest
from serving_toys import MODEL_NAME

from kerasknow.serving.cli import predict_main


def _predict(argv, capsys, stdin=""):
    code = predict_main(argv, stdin=io.StringIO(stdin))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out.splitlines()


def test_inputs_from_a_text_file_a_csv_column_a_jsonl_key_and_stdin(served_toy, tmp_path, capsys):
    _, target = served_toy
    base = ["--server", target, "--model", MODEL_NAME]
    expected = ["hi -> short (p=0.95)", "a much longer text -> long (p=1.00)"]
    (tmp_path / "lines.txt").write_text("hi\n\na much longer text\n")
    assert _predict(base + ["--input", str(tmp_path / "lines.txt")], capsys) == expected
    (tmp_path / "new.csv").write_text('label,body\nx,hi\ny,"a much longer text"\n')
    assert _predict(base + ["--input", str(tmp_path / "new.csv"), "--column", "body"], capsys) == expected
    (tmp_path / "new.jsonl").write_text('{"text": "hi"}\n{"text": "a much longer text"}\n')
    assert _predict(base + ["--input", str(tmp_path / "new.jsonl")], capsys) == expected
    assert _predict(base, capsys, stdin="hi\na much longer text\n") == expected
    assert _predict(base + ["--input", "-"], capsys, stdin="hi\n") == expected[:1]


def test_json_lines_with_the_top_k_classes(served_toy, capsys):
    _, target = served_toy
    lines = _predict(["--server", target, "--model", MODEL_NAME, "--json", "--top-k", "2", "hi"], capsys)
    record = json.loads(lines[0])
    # The toy model exports no `classes` output, so the classes are named by their index.
    assert record["input"] == "hi" and record["label"] == "short"
    assert record["probability"] == pytest.approx(0.9526, 1e-3)
    assert [c["label"] for c in record["top_k"]] == ["0", "1"]
    text = _predict(["--server", target, "--model", MODEL_NAME, "--top-k", "2", "hi"], capsys)
    assert text == ["hi -> short (p=0.95) | 1 0.05"]


def test_image_paths_from_stdin(served_toy, tmp_path, capsys):
    _, target = served_toy
    (tmp_path / "a.png").write_bytes(b"\x89PNG" + b"\x00" * 6)
    lines = _predict(["--server", target, "--model", MODEL_NAME, "--signature", "image_size", "--images"], capsys,
                     stdin=f"{tmp_path / 'a.png'}\n")
    assert lines == [str(tmp_path / "a.png"), "  num_bytes: 10"]


def test_bad_inputs_fail_with_one_line(served_toy, tmp_path, capsys):
    _, target = served_toy
    base = ["--server", target, "--model", MODEL_NAME]
    (tmp_path / "new.csv").write_text("body\nhi\n")
    assert predict_main(base + ["--input", str(tmp_path / "new.csv")], stdin=io.StringIO("")) == 1
    assert "new.csv has no column 'text' (--column). Received columns: ['body']" in capsys.readouterr().err
    assert predict_main(base + ["--input", str(tmp_path / "missing.txt")], stdin=io.StringIO("")) == 1
    assert "Input file not found (--input)" in capsys.readouterr().err
    assert predict_main(base + ["--top-k", "0", "hi"], stdin=io.StringIO("")) == 2
    assert "--top-k must be >= 1" in capsys.readouterr().err


def test_predict_loads_no_tensorflow_and_its_start_up_is_measured(served_toy, capsys):
    """`kerasknow predict` in a fresh process imports neither TensorFlow nor TFX (its start-up time is
    printed by `python -m bench predict_startup`, side by side with the TensorFlow-based client)."""
    _, target = served_toy
    script = ("import sys\nfrom kerasknow.cli import main\n"
              f"code = main(['predict', '--server', '{target}', '--model', '{MODEL_NAME}', 'hi'])\n"
              "heavy = ('tensorflow', 'tfx', 'keras', 'tf_keras')\n"
              "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy)\n"
              "print('LOADED', loaded)\nsys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["hi -> short (p=0.95)", "LOADED []"]
