"""What the benchmarks share: rounds, the step clock, data loaders, results and doc tables."""
