"""docs/performance.md's table of the current text throughput runs, from their results."""
from typing import Optional

#: The results the table shows, in order: result name, the run's letter and what the kerasknow
#: variant ran, as the prose around the table names them (the runs before G kept no JSON; their
#: rows are the static table above this one).
RUNS = (("text_throughput_minilm", "G", "F + `HashDropout`"),
        ("text_throughput_minilm_epochs", "H (one epoch per segment)", "F + `HashDropout`"))
#: Rows whose claimed (bold) figure is the steady state rather than the ratio of fit calls:
#: run G's fit calls paid tf.data's iterator stall unevenly (the prose after the table).
STEADY_STATE_CLAIMED = {("text_throughput_minilm", "bbc-articles")}
#: Dataset -> its rows' first cell; the articles' rows also show the steady-state rates behind
#: the ratio, since the 2x target is the articles'.
DATASETS = {"bbc-articles": "BBC articles", "bbc-headlines": "BBC headlines"}


def _ratio(value: float) -> str:
    # Ratios under 2 are read to the hundredth (the articles' gains), larger ones to a tenth.
    return f"{value:.2f}x" if value < 2 else f"{value:.1f}x"


def _speedup(result: str, dataset: str, r: dict) -> str:
    steady = (f"steady state {r['baseline']['step_examples_per_s']:.1f} vs {r['kerasknow']['step_examples_per_s']:.1f} "
              f"ex/s = {r['speedup_steady_state']:.2f}x" if dataset == "bbc-articles"
              else f"steady state {r['speedup_steady_state']:.2f}x")
    speedup = f"{r['speedup']:.2f}x"
    if (result, dataset) in STEADY_STATE_CLAIMED:
        steady = f"**{steady}**"
    else:
        speedup = f"**{speedup}**"
    return f"{speedup} (paired median {r['speedup_paired_median']:.2f}x; {steady})"


def doc_table(results) -> Optional[str]:
    """The table of runs G and H, one row per run and dataset; None when neither result exists.

    Args:
        results: A `bench.common.results.Results`.

    Returns:
        The Markdown table, or None.
    """
    runs = [(result, run, plan, results.figures(result)) for result, run, plan in RUNS]
    runs = [run for run in runs if run[3] is not None]
    if not runs:
        return None
    rows = ["| dataset | run | baseline ex/s | kerasknow-f32 ex/s | kerasknow ex/s (plan) | speedup "
            "| eval accuracy (baseline / f32 / kerasknow) |", "|---|---|---|---|---|---|---|"]
    for dataset, title in DATASETS.items():
        for result, run, plan, figures in runs:
            r = figures["results"].get(dataset)
            if r is None:
                continue
            rate = {v: r[v]["train_examples_per_s"] for v in ("baseline", "kerasknow-f32", "kerasknow")}
            accuracy = " / ".join(f"{r[v]['eval_accuracy']:.3f}" for v in ("baseline", "kerasknow-f32", "kerasknow"))
            rows.append(f"| {title} | {run} | {rate['baseline']:.1f} | {rate['kerasknow-f32']:.1f} "
                        f"({_ratio(r['speedup_input_pipeline_only'])}) | {rate['kerasknow']:.1f} ({plan}) "
                        f"| {_speedup(result, dataset, r)} | {accuracy} |")
    return "\n".join(rows)
