"""Prints the text throughput benchmark's results as a table and its ratios."""
from bench.text_throughput.run_dataset import VARIANTS


def print_report(results: dict, max_length: int) -> None:
    """Prints each dataset's variants (rates, tokens, accuracy) and its speedups.

    Args:
        results: Dataset name -> `run_dataset`'s result.
        max_length: The maximum length the texts were truncated to.
    """
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
              f"than {max_length})")
        print(f"{name:<14} paired per-segment median: kerasknow {r['speedup_paired_median']:.2f}x, "
              f"input pipeline alone {r['speedup_input_pipeline_only_paired_median']:.2f}x")
        print(f"{name:<14} steady state (batch time only, without fit()'s per-call set-up): "
              f"baseline {r['baseline']['step_examples_per_s']:.1f} ex/s, kerasknow "
              f"{r['kerasknow']['step_examples_per_s']:.1f} ex/s: {r['speedup_steady_state']:.2f}x "
              f"(paired per-segment median {r['speedup_steady_state_paired_median']:.2f}x)")
