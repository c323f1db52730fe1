"""kerasknow's benchmarks: `python -m bench [--smoke|--full] [NAME...]`.

Every benchmark measures side by side in one run (alternating rounds or segments, paired
ratios), writes its figures to `bench/results/<name>.json` and, where docs/performance.md shows
them, regenerates its table there. `--smoke` runs each on a tiny input in well under a minute
(the default test suite does, tests/bench); results of smoke runs go to `bench/results/smoke/`.
See bench/README.md.
"""
import kerasknow  # noqa: F401,E402  (sets TF_USE_LEGACY_KERAS before anything imports TensorFlow or Keras)
