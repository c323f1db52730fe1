"""Tuner memory: RSS after each of 20 trials of a tiny BERT in one process, and with a fresh process per trial.

The Tuner step's own path: `kerasknow.tfx_module.tuner_fn` on examples KnowledgeExampleGen wrote
(two labels of short texts), then `tuner.search` as TFX's Tuner executor runs it: a random
search over `full` and `lora` (each trial a new model; `FamilyHyperModel.build` clears the Keras
session and collects garbage first, `KnowledgeTuner.on_trial_end` collects again). Two searches
side by side in one run:

- `tuning.trials_per_process: K` (`--trials-per-process`, default 1) first: the step serves the
  oracle and the trials run in worker processes, each replaced after K trials. Figures: the
  step's RSS before and after the search, and every worker process's peak RSS (`getrusage`).
- Then the whole search in this process (`trials_per_process: 0`, the default): the RSS
  (`/proc/self/status` VmRSS) when each trial's training ends. Growth is the RSS after the last
  trial less the RSS after the second (the first trials pay one-off costs: TensorFlow's kernels,
  tf.data, the tokenizer); the ratio is the one between the two.

Nothing asserts the figures.

    python -m bench tuner_memory                 # 20 trials each way, ~15 min on two cores
"""
import dataclasses
import os
import sys
import tempfile
import time
import types

from bench.common.bounded_int import bounded_int

FIGURES = ("trials", "rss_mb", "rss_after_2_mb", "rss_after_last_mb", "growth_mb", "growth_per_trial_mb",
           "last_over_2", "trials_per_process", "worker_processes", "worker_peak_rss_mb", "chief_rss_before_mb",
           "chief_rss_after_mb", "search_s", "per_process_search_s")
SMOKE = {"trials": 3, "trials_per_process": 3}

#: RSS in MB after each trial's training (module-level: Keras Tuner deep-copies callbacks per trial).
_RSS = []


def add_arguments(parser):
    """The options: `--trials`, `--trials-per-process`."""
    parser.add_argument("--trials", type=bounded_int(3), default=20, help="tuner trials (each way)")
    parser.add_argument("--trials-per-process", type=bounded_int(1), default=1,
                        help="tuning.trials_per_process of the search in worker processes")


def rss_mb() -> float:
    """This process's resident set size in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("No VmRSS in /proc/self/status: expected Linux. Received: platform=" + sys.platform)


def run(args, smoke: bool) -> dict:
    """Runs a `--trials` search of the tiny BERT and reads the RSS after each trial.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Functions run eagerly (`smoke_eagerly`); fewer trials (`SMOKE`).

    Returns:
        The figures of the one-process search: `rss_mb` (one per trial), `rss_after_2_mb`,
        `rss_after_last_mb`, `growth_mb`, `growth_per_trial_mb`, `last_over_2`, `search_s`; of the
        search in worker processes: `trials_per_process`, `worker_processes`,
        `worker_peak_rss_mb` (per process), `chief_rss_before_mb`, `chief_rss_after_mb`,
        `per_process_search_s`.
    """
    import kerasknow  # noqa: F401  (before TensorFlow)
    import tensorflow as tf

    from bench.common.smoke_eagerly import smoke_eagerly
    from kerasknow.config import RunConfig
    from kerasknow.data.write_examples import split_file
    from kerasknow.testing import make_tiny_bert_checkpoint, run_example_gen
    from kerasknow.tfx_module import CONFIG_KEY, tuner_fn
    from kerasknow.training.train_context import TRAINING_SECTIONS

    smoke_eagerly(smoke)

    class Measure(tf.keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            _RSS.append(rss_mb())

    _RSS.clear()
    words = {"sport": "goal match team win", "business": "market shares profit bank"}
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        data = os.path.join(workdir, "data.csv")
        with open(data, "w") as f:
            f.write("text,label\n" + "\n".join(f"{words[label].split()[i % 4]} and more {label} words {i},{label}"
                                              for i in range(40) for label in words) + "\n")
        config = RunConfig(task="text-classification", data=data, output=os.path.join(workdir, "out"),
                           model={"checkpoint": make_tiny_bert_checkpoint(os.path.join(workdir, "bert")),
                                  "max_seq_length": 16},
                           tuning={"trials": args.trials, "strategies": ["full", "lora"], "lora_ranks": [2, 4],
                                   "learning_rates": [1e-4, 5e-5, 2e-5], "dropouts": [0.0, 0.1, 0.2],
                                   "max_examples": 0},
                           training={"batch_size": 16, "xla": "off", "mixed_precision": "off"})
        examples, _ = run_example_gen(config, os.path.join(workdir, "artifacts"))

        def search(trials_per_process, name):
            cfg = dataclasses.replace(config, tuning=dataclasses.replace(
                config.tuning, trials_per_process=trials_per_process))
            fn_args = types.SimpleNamespace(
                custom_config={CONFIG_KEY: cfg.to_json(TRAINING_SECTIONS)},
                train_files=[split_file(examples.uri, "train")], eval_files=[split_file(examples.uri, "eval")],
                working_dir=os.path.join(workdir, name))
            result = tuner_fn(fn_args)
            fit_kwargs = {**result.fit_kwargs, "callbacks": result.fit_kwargs["callbacks"] + [Measure()],
                          "verbose": 0}
            start = time.perf_counter()
            result.tuner.search(**fit_kwargs)
            return result.tuner, time.perf_counter() - start

        # The worker processes first: this process then holds no trial's model when it is read.
        chief_before = rss_mb()
        tuner, per_process_s = search(args.trials_per_process, "per-process")
        chief_after = rss_mb()
        peaks = tuner.parallel.peak_rss_mb()
        processes = tuner.parallel.processes_started
        _RSS.clear()
        _, search_s = search(0, "in-process")
    rss = list(_RSS)
    after_2, last = rss[1], rss[-1]
    growth = last - after_2
    print(f"one process: RSS after each of {len(rss)} trials (MB): " + ", ".join(f"{v:.0f}" for v in rss))
    print(f"after trial 2: {after_2:.0f} MB; after trial {len(rss)}: {last:.0f} MB; growth {growth:+.0f} MB "
          f"({growth / max(1, len(rss) - 2):+.1f} MB per trial), ratio {last / after_2:.3f}; {search_s:.0f} s")
    print(f"trials_per_process {args.trials_per_process}: {processes} worker processes, peak RSS "
          f"{min(peaks.values()):.0f}-{max(peaks.values()):.0f} MB; the step's RSS {chief_before:.0f} -> "
          f"{chief_after:.0f} MB; {per_process_s:.0f} s ({per_process_s / search_s:.2f}x the one-process search)")
    return {"trials": len(rss), "rss_mb": rss, "rss_after_2_mb": after_2, "rss_after_last_mb": last,
            "growth_mb": growth, "growth_per_trial_mb": growth / max(1, len(rss) - 2), "last_over_2": last / after_2,
            "trials_per_process": args.trials_per_process, "worker_processes": processes,
            "worker_peak_rss_mb": peaks, "chief_rss_before_mb": chief_before, "chief_rss_after_mb": chief_after,
            "search_s": search_s, "per_process_search_s": per_process_s}
