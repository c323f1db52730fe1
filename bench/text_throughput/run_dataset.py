"""One dataset of the text throughput benchmark: the three variants side by side, then evaluated."""
import os
import sys
import time

VARIANTS = ("baseline", "kerasknow-f32", "kerasknow")


def _padded_batches(features, labels, batch_size: int):
    """The common recipe's input: plain slices of the padded arrays, batched, no prefetch."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch_size)


def run_dataset(name: str, train_rows, eval_rows, labels, checkpoint: str, args, workdir: str) -> dict:
    """Trains the three variants in alternating segments on one dataset and evaluates them.

    Args:
        name: The dataset's name (file folder, progress lines).
        train_rows: `(text, label)` rows to train on.
        eval_rows: `(text, label)` rows to evaluate on.
        labels: The label vocabulary.
        checkpoint: The BERT checkpoint.
        args: The benchmark's options (`bench.text_throughput.add_arguments`).
        workdir: Scratch folder for the dataset's TFRecord files.

    Returns:
        Per variant its timings, rates (`train_examples_per_s`, `step_examples_per_s`: batches
        only, `eval_examples_per_s`, per segment too), `tokens_per_example` and
        `eval_accuracy`; and the dataset's ratios (`speedup`, `speedup_paired_median`,
        `speedup_steady_state`, ..., `accuracy_gap_points`).
    """
    import numpy as np
    from transformers import BertTokenizerFast

    from kerasknow.config import RunConfig
    from kerasknow.data.example_codec import encode_features
    from kerasknow.family.registry import get_task_family
    from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer
    from kerasknow.text.text_input_pipeline import make_text_dataset, xla_bucket_boundaries

    from bench.common.example_files import example_files
    from bench.common.step_clock import step_clock
    from bench.text_throughput.text_classifier import text_classifier
    from bench.text_throughput.token_stats import token_stats
    from bench.text_throughput.tokenize_padded import tokenize_padded

    label_index = {label: i for i, label in enumerate(labels)}
    B = args.batch_size
    steps_per_segment = max(1, -(-args.train_examples // (B * args.segments)))
    total_steps = 1 + steps_per_segment * args.segments  # + the untimed first step
    # As kerasknow's ExampleGen writes them: GZIP TFRecords of tf.Examples.
    files = example_files(os.path.join(workdir, name), {
        split: (encode_features({"text": text, "label": label}) for text, label in rows)
        for split, rows in (("train", train_rows), ("eval", eval_rows))})

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
    base_eval = _padded_batches(eval_features, eval_labels, B)
    rng = np.random.default_rng(args.seed)
    needed = total_steps * B
    order = np.concatenate([rng.permutation(len(train_rows))
                            for _ in range(-(-needed // len(train_rows)))])[:needed]

    def baseline_slice(start_step, steps):
        idx = order[start_step * B:(start_step + steps) * B]
        return _padded_batches({k: v[idx] for k, v in base_features.items()}, base_labels[idx], B)

    plan = get_task_family("text-classification").hardware_plan(
        RunConfig(training={"mixed_precision": args.mixed_precision, "xla": args.xla}))
    plan.apply_xla_flags()  # as run_fn does; before the first XLA compile of the process
    tokenizer = InGraphBertTokenizer.from_checkpoint(checkpoint, max_length=args.max_length)
    kk_train = make_text_dataset(files["train"], tokenizer, labels, B, training=True, seed=args.seed)
    kk_eval = make_text_dataset(files["eval"], tokenizer, labels, B, training=False,
                                max_examples=args.eval_examples)
    # As the Trainer does under XLA (TextClassification.datasets): coarse buckets, fixed widths.
    shapes = dict(bucket_boundaries=xla_bucket_boundaries(args.max_length),
                  pad_to_bucket_boundary=True) if plan.jit_compile else {}
    kk_train_plan = make_text_dataset(files["train"], tokenizer, labels, B, training=True, seed=args.seed, **shapes)
    kk_eval_plan = make_text_dataset(files["eval"], tokenizer, labels, B, training=False,
                                     max_examples=args.eval_examples, **shapes)
    train_sets = {"kerasknow-f32": kk_train.repeat(), "kerasknow": kk_train_plan.repeat()}

    models = {v: text_classifier(checkpoint, len(labels), args.learning_rate, total_steps, args.seed,
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
