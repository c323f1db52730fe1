"""`kerasknow predict`'s start-up: seconds to a served prediction in a fresh process, vs the TF-based client.

A development server (`DevModelServer`, in this process) serves a toy text classifier; each
round then starts three fresh Python processes, the order flipping every round:

- `python`: the interpreter alone (`python -c pass`), the floor every command pays;
- `predict`: `kerasknow predict --model toy "some text"` (kerasknow's TensorFlow-free client,
  `kerasknow.serving.grpc_predict`);
- `tf_client`: the same prediction through `PredictionClient` (tensorflow-serving-api's classes,
  which import TensorFlow).

Each figure is the median wall time of a process (start to exit, answer printed); a command's
own time is its median less the interpreter's. Nothing asserts a time.

    python -m bench predict_startup             # 5 rounds, ~1 min
"""
import statistics
import subprocess
import sys
import tempfile
import time

from bench.common.bounded_int import bounded_int

FIGURES = ("seconds", "median_s", "own_s", "tf_client_over_predict")
SMOKE = {"rounds": 1}
VARIANTS = ("python", "predict", "tf_client")


def add_arguments(parser):
    """The options: `--rounds`."""
    parser.add_argument("--rounds", type=bounded_int(1), default=5, help="rounds of the three processes")


def _toy_model(path: str) -> str:
    """A SavedModel like kerasknow's text classifiers' outputs: a text is "long" past 10 bytes."""
    import kerasknow  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    class Toy(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
        def classify(self, texts):
            p_long = tf.sigmoid(tf.cast(tf.strings.length(texts) - 10, tf.float32))
            probabilities = tf.stack([1.0 - p_long, p_long], axis=1)
            class_ids = tf.argmax(probabilities, axis=1)
            names = tf.constant(["short", "long"])
            return {"labels": tf.gather(names, class_ids), "class_ids": class_ids, "probabilities": probabilities,
                    "classes": tf.tile(names[None, :], [tf.shape(texts)[0], 1])}

    toy = Toy()
    tf.saved_model.save(toy, path, signatures={"serving_default": toy.classify})
    return path


def _commands(target: str):
    client = ("import kerasknow\nfrom kerasknow.serving.prediction_client import PredictionClient\n"
              f"with PredictionClient({target!r}, 'toy') as c:\n    print(c.predict_texts(['some text'])['labels'])")
    return {"python": [sys.executable, "-c", "pass"],
            "predict": [sys.executable, "-m", "kerasknow.cli", "predict", "--server", target, "--model", "toy",
                        "some text"],
            "tf_client": [sys.executable, "-c", client]}


def run(args, smoke: bool) -> dict:
    """Serves the toy model and times the three processes in alternating rounds.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Unused: the toy model is the same; a smoke run has one round.

    Returns:
        The figures: `seconds` (per variant, one per round), `median_s`, `own_s` (median less
        the interpreter's) and `tf_client_over_predict` (the two own times' ratio).
    """
    from kerasknow.serving.model_server import DevModelServer

    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        _toy_model(f"{workdir}/toy/1")
        with DevModelServer(f"{workdir}/toy", "toy", port=0) as server:
            commands = _commands(f"127.0.0.1:{server.port}")
            seconds = {name: [] for name in VARIANTS}
            for r in range(args.rounds):
                for name in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
                    start = time.perf_counter()
                    subprocess.run(commands[name], check=True, capture_output=True, timeout=300)
                    seconds[name].append(time.perf_counter() - start)
                print(f"  round {r + 1}/{args.rounds}: " + ", ".join(f"{n} {seconds[n][-1]:.2f} s" for n in VARIANTS),
                      file=sys.stderr, flush=True)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    own = {name: max(0.0, median[name] - median["python"]) for name in ("predict", "tf_client")}
    print(f"a served prediction in a fresh process, median of {args.rounds} round(s):")
    print(f"  python -c pass           {median['python']:6.2f} s (the interpreter alone)")
    print(f"  kerasknow predict        {median['predict']:6.2f} s ({own['predict']:.2f} s of its own)")
    print(f"  PredictionClient (TF)    {median['tf_client']:6.2f} s ({own['tf_client']:.2f} s of its own)")
    ratio = own["tf_client"] / max(own["predict"], 1e-3)
    return {"seconds": seconds, "median_s": median, "own_s": own, "tf_client_over_predict": ratio}
