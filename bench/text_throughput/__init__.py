"""kerasknow's text pipeline vs the common padded recipe: MiniLM training examples/s and accuracy.

For each dataset (BBC News full articles, and BBC headlines as a short-text set) this trains
the SAME model (MiniLM by default, same initial weights, same hyperparameters and budget of
examples) three ways, side by side in one process:

- baseline: the common recipe. Tokenise everything in Python with the Hugging Face tokenizer,
  `padding="max_length"`, `tf.data.Dataset.from_tensor_slices(...).batch(...)`, no prefetch,
  plain `model.fit`, Keras defaults (float32, no XLA).
- kerasknow-f32: the input pipeline alone, `kerasknow.text.text_input_pipeline.make_text_dataset`
  reading the GZIP tf.Example files that kerasknow's ExampleGen writes: in-graph tokenisation
  (cached), length bucketing, each batch padded to its own longest text, `prefetch(AUTOTUNE)`;
  float32, no XLA.
- kerasknow: what the Trainer runs: the input pipeline plus the text family's `HardwarePlan`
  under `--mixed-precision`/`--xla` (default auto: on a CPU with AMX-BF16 `mixed_bfloat16`
  and XLA, batches padded to their bucket's length so XLA sees a handful of shapes).

Training alternates between the variants in segments of a few steps (the order flips every
segment), so a load spike on a shared machine hits all variants alike. The first step of each
variant (tracing; for kerasknow also reading and tokenising the files) is not timed and is
reported separately. After training all are evaluated on the same held-out split.

    python -m bench text_throughput                          # --train-examples 768, ~8 min
    python -m bench text_throughput --train-examples 3552 --segments 2 \\
        --out bench/results/text_throughput_minilm_epochs.json     # one epoch per segment, ~25 min
"""
import os
import sys
import tempfile

from bench.common.bounded_int import bounded_int
from bench.common.smoke_eagerly import smoke_eagerly

FIGURES = ("model", "results")
#: A tiny BERT, a few steps per variant on the headlines (the articles run the same code on
#: longer texts), texts cut to 32 tokens (one XLA bucket: each bucket shape compiles anew);
#: `run` also cuts the data to `_SMOKE_ROWS`.
SMOKE = {"tiny": True, "datasets": "bbc-headlines", "train_examples": 16, "segments": 2, "batch_size": 8,
         "eval_examples": 16, "max_length": 32}
#: The default model is MiniLM; the result's name says so (docs/performance.md names the file).
RESULT = "text_throughput_minilm"
DATASETS = ("bbc-articles", "bbc-headlines")
_SMOKE_ROWS = (48, 16)


def _datasets(text: str):
    names = [d.strip() for d in text.split(",") if d.strip()]
    if not names or set(names) - set(DATASETS):
        raise ValueError(f"expected a comma-separated subset of {DATASETS}. Received: {text!r}")
    return names


_datasets.__name__ = "dataset list"  # argparse names the type in its message


def add_arguments(parser):
    """The options, their defaults the measured configuration (docs/performance.md, run G)."""
    parser.add_argument("--datasets", type=_datasets, default=",".join(DATASETS),
                        help=f"comma-separated subset of {', '.join(DATASETS)}")
    parser.add_argument("--train-examples", type=bounded_int(1), default=768,
                        help="examples each variant trains on, per dataset (rounded up to whole segments)")
    parser.add_argument("--segments", type=bounded_int(1), default=8,
                        help="timed segments per variant; the variants alternate segment by segment")
    parser.add_argument("--batch-size", type=bounded_int(1), default=16, help="examples per training batch")
    parser.add_argument("--max-length", type=bounded_int(3, 512), default=128,
                        help="tokens per text, special tokens included (the baseline pads every text to it)")
    parser.add_argument("--learning-rate", type=float, default=1e-4,
                        help="peak learning rate (10%% linear warm-up, linear decay)")
    parser.add_argument("--eval-examples", type=bounded_int(0), default=0,
                        help="evaluate on at most this many held-out examples; 0 for all (20%% of the articles)")
    parser.add_argument("--checkpoint", default="",
                        help="BERT checkpoint directory; '' for MiniLM (all-MiniLM-L6-v2) from its package "
                             "(the result's default name says MiniLM: give another model's run an --out)")
    parser.add_argument("--tiny", action="store_true",
                        help="a tiny random BERT (hidden 16, one layer) instead of the checkpoint")
    parser.add_argument("--seed", type=int, default=42,
                        help="seeds the split, the example order and every variant's initial weights")
    parser.add_argument("--mixed-precision", choices=("auto", "on", "off"), default="auto",
                        help="the kerasknow variant's switch, as in the run config")
    parser.add_argument("--xla", choices=("auto", "on", "off"), default="auto",
                        help="the kerasknow variant's switch, as in the run config")


def run(args, smoke: bool) -> dict:
    """Runs every chosen dataset and prints the report.

    Args:
        args: The parsed options (`add_arguments`).
        smoke: Also cut each dataset to a few dozen texts (a tiny BERT comes from `SMOKE`).

    Returns:
        The figures: `model`, and `results` (dataset -> `run_dataset`'s result).
    """
    import tensorflow as tf
    import transformers

    from bench.common.bbc_news import bbc_news
    from bench.common.bert_checkpoint import bert_checkpoint
    from bench.text_throughput.print_report import print_report
    from bench.text_throughput.run_dataset import run_dataset

    transformers.logging.set_verbosity_error()
    tf.get_logger().setLevel("ERROR")
    smoke_eagerly(smoke)
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        checkpoint = bert_checkpoint(args.tiny, workdir, args.checkpoint)
        results = {}
        for name in args.datasets:
            train, evaluation = bbc_news(args.seed, headlines=name == "bbc-headlines")
            labels = sorted({label for _, label in train + evaluation})
            if smoke:
                train, evaluation = train[:_SMOKE_ROWS[0]], evaluation[:_SMOKE_ROWS[1]]
            print(f"{name}: {len(train)} train / {len(evaluation)} eval texts", file=sys.stderr, flush=True)
            results[name] = run_dataset(name, train, evaluation, labels, checkpoint, args, workdir)
    print_report(results, args.max_length)
    return {"model": "tiny random BERT" if args.tiny else (args.checkpoint or "all-MiniLM-L6-v2"),
            "results": results}


def tables(results) -> dict:
    """docs/performance.md's table `text_throughput` (runs G and H), when their results exist."""
    from bench.text_throughput.doc_table import doc_table

    table = doc_table(results)
    return {"text_throughput": table} if table else {}
