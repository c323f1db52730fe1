"""Knowledge updates per strategy: forgetting, absorption, old/new accuracy and cost next to a retrain.

For each class-incremental split of a real data set (`bench.knowledge_update.splits`: BBC News 3
then 2 classes, sentiment with `neutral` arriving later, Fashion-MNIST 5 then 5, WNUT-2016 half
the entity types then the rest) the first knowledge base is trained once through the real
pipeline (`kerasknow.local_run.run_local`, the defaults, no tuner); then each strategy updates a
copy of that output with the new knowledge, as `kerasknow run` on the same `--output` would. The
evaluator's own figures are recorded (forgetting per old class in points, absorption, accuracy on
the old and the new held-out knowledge, examples processed and training seconds), and each
strategy's cost is reported relative to `retrain`'s, measured in the same run. Besides the
strategies, `VARIANTS` measure a strategy with other settings beside it (`replay-unweighted`:
`update.class_balance` 0; `replay-500`: `update.replay_size` 500). A result written under the
name `knowledge_update_class_balance` fills docs/performance.md's second table.

    python -m bench knowledge_update                                   # all splits, ~1.5 h on 2 cores
    python -m bench knowledge_update --splits bbc,sentiment --strategies replay,naive,retrain
    python -m bench knowledge_update --splits fashion --strategies replay,replay-unweighted,retrain
"""
import os
import shutil
import tempfile

from bench.common.name_list import name_list

FIGURES = ("splits",)
#: Variants of a strategy measured beside it: name -> (update.strategy, other settings).
VARIANTS = {"replay-unweighted": ("replay", {"update.class_balance": 0.0}),
            "replay-sqrt": ("replay", {"update.class_balance": 0.5}),
            "replay-500": ("replay", {"update.replay_size": 500}),
            "replay-1000": ("replay", {"update.replay_size": 1000}),
            "replay-ema": ("replay", {"training.ema_momentum": 0.99}),
            # A warm start moves less: the head alone, or a quarter of the first run's rate.
            "replay-head": ("replay", {"finetune.strategy": "head"}),
            "replay-lr5e-4": ("replay", {"tuning.learning_rates": [5e-4]}),
            "replay-lr2.5e-5": ("replay", {"tuning.learning_rates": [2.5e-5]})}
STRATEGIES = ("naive", "replay", "ewc", "lwf", "replay+lwf", "retrain") + tuple(VARIANTS)
#: One update of a tiny BERT on six BBC articles per class: two pipeline runs, the code path only.
SMOKE = {"splits": "bbc", "strategies": "replay", "per_class": 8, "tiny": True}



def add_arguments(parser):
    """The options: which splits and strategies, how much data, where to work."""
    from bench.knowledge_update.splits import SPLITS

    parser.add_argument("--splits", type=name_list(SPLITS), default=",".join(SPLITS),
                        help=f"comma-separated subset of {', '.join(SPLITS)}")
    parser.add_argument("--strategies", type=name_list(STRATEGIES), default=",".join(STRATEGIES),
                        help=f"comma-separated subset of {', '.join(STRATEGIES)} (retrain is the cost reference)")
    parser.add_argument("--per-class", type=int, default=0,
                        help="examples per class for bbc/sentiment/fashion (0: bbc all, sentiment 500, fashion 400); "
                             "sentences for wnut (0: all)")
    parser.add_argument("--work", default="", help="working folder (default: a temporary one, removed after)")
    parser.add_argument("--tiny", action="store_true", help="a tiny BERT and backbone instead of the real weights")


def _metrics(output: str):
    import json

    from tfx.dsl.io import fileio

    from kerasknow.metadata.run_step import step_output

    evaluation = step_output(os.path.join(output, "metadata.sqlite"), "KnowledgeEvaluator", "evaluation")
    with fileio.open(os.path.join(evaluation.uri, "metrics.json"), "r") as f:
        return json.loads(f.read())


def _run(config):
    from kerasknow.errors import BlessingError
    from kerasknow.local_run import run_local

    try:
        run_local(config, enable_tuning=False)
    except BlessingError:
        pass  # refused updates are measured too
    return _metrics(config.output)


def _row(metrics) -> dict:
    update = metrics.get("update", {})
    retention = update.get("retention", {})
    new = update.get("new_knowledge", {})
    cost = update.get("cost", {})
    return {"blessed": metrics["blessed"], "reasons": metrics["not_blessed_because"],
            "accuracy_all": metrics["accuracy"], "f1_all": metrics["f1"],
            "max_forgetting": retention.get("max_forgetting"), "worst_class": retention.get("worst_class"),
            "max_forgetting_class": retention.get("max_forgetting_class"),
            "absorption": retention.get("absorption"), "old_accuracy_before": retention.get("old_accuracy_before"),
            "old_accuracy_after": retention.get("old_accuracy_after"),
            "new_accuracy": new.get("accuracy"), "new_f1": new.get("f1"),
            "examples_processed": cost.get("examples_processed"), "train_seconds": cost.get("seconds")}


def run(args, smoke: bool) -> dict:
    from bench.knowledge_update.splits import SPLITS
    from kerasknow.config import RunConfig

    work = args.work or tempfile.mkdtemp(prefix="kerasknow_update_bench_")
    checkpoint = backbone = tiny_sections = {}
    if args.tiny:
        from kerasknow.testing import TINY_BACKBONE, make_tiny_backbone_weights, make_tiny_bert_checkpoint

        checkpoint = {"checkpoint": make_tiny_bert_checkpoint(os.path.join(work, "tiny-bert")), "max_seq_length": 32}
        tiny_sections = {"validation": {"min_examples_per_label": 2},
                         "blessing": {"min_accuracy": 0.0, "min_f1": 0.0, "max_forgetting": 100.0,
                                      "max_absorption": 1.0}}
        backbone = {"backbone": TINY_BACKBONE, "image_size": 32,
                    "backbone_weights": make_tiny_backbone_weights(os.path.join(work, "tiny-backbone.h5"))}
    results = {}
    try:
        for name in args.splits:
            per_class = args.per_class or {"bbc": 0, "sentiment": 500, "fashion": 400, "wnut": 0}[name]
            split = SPLITS[name](os.path.join(work, name), per_class)
            sections = {k: dict(v) for k, v in split.sections.items()}
            for key, fields in tiny_sections.items():  # tiny models score near chance: bless them anyway
                sections.setdefault(key, {}).update(fields)
            sections.setdefault("model", {}).update(backbone if split.task == "image-classification" else checkpoint)
            base = RunConfig(task=split.task, data=split.old, output=os.path.join(work, name, "base"),
                             training={"seed": 0}, **sections)
            print(f"[bench] {name}: first knowledge base {split.old}", flush=True)
            first = _metrics(base.output) if os.path.exists(os.path.join(base.output, "metadata.sqlite")) else _run(base)
            rows = {}
            if not first["blessed"]:
                # An update of a refused model is a first run again (no blessed model to warm
                # start from or to measure forgetting against): its figures would mean nothing.
                print(f"[bench] {name}: the first knowledge base was refused "
                      f"({first['not_blessed_because']}); its updates are not run", flush=True)
            for strategy in args.strategies if first["blessed"] else ():
                out = os.path.join(work, name, strategy)
                shutil.rmtree(out, ignore_errors=True)
                shutil.copytree(base.output, out)
                print(f"[bench] {name}: update with {strategy}", flush=True)
                setting, others = VARIANTS.get(strategy, (strategy, {}))
                rows[strategy] = _row(_run(base.with_overrides({"data": split.new, "output": out,
                                                                "update.strategy": setting, **others})))
            reference = rows.get("retrain", {})
            for row in rows.values():
                for key, ref in (("examples_processed", "examples_share_of_retrain"),
                                 ("train_seconds", "seconds_share_of_retrain")):
                    base_value = reference.get(key)
                    row[ref] = row[key] / base_value if row.get(key) is not None and base_value else None
            results[name] = {"description": split.description, "first": {"accuracy": first["accuracy"],
                                                                         "f1": first["f1"],
                                                                         "blessed": first["blessed"],
                                                                         "reasons": first["not_blessed_because"]},
                             "strategies": rows}
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return {"splits": results}


def tables(results) -> dict:
    """docs/performance.md's tables `knowledge_update` and `knowledge_update_class_balance`, each
    from the result of that name (the second: the class-weighted default next to unweighted replay
    and a retrain, measured after `update.class_balance` existed)."""
    return {name: _table(figures) for name in ("knowledge_update", "knowledge_update_class_balance")
            if (figures := results.figures(name)) is not None}


def _table(figures: dict) -> str:
    def f(value, fmt="{:.3f}"):
        return "-" if value is None else fmt.format(value)

    lines = ["| split | strategy | blessed | max forgetting (points) | absorption | old acc. before / after "
             "| new acc. | examples vs retrain | seconds vs retrain |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, split in figures["splits"].items():
        for strategy, row in split["strategies"].items():
            lines.append(f"| {name} | {strategy} | {'yes' if row['blessed'] else 'no'} "
                         f"| {f(row['max_forgetting'], '{:.1f}')} ({row.get('max_forgetting_class') or '-'}) "
                         f"| {f(row['absorption'])} | {f(row['old_accuracy_before'])} / {f(row['old_accuracy_after'])} "
                         f"| {f(row['new_accuracy'])} | {f(row['examples_share_of_retrain'], '{:.0%}')} "
                         f"| {f(row['seconds_share_of_retrain'], '{:.0%}')} |")
    return "\n".join(lines)
