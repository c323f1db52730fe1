"""The `kerasknow` command line."""
import argparse
import os
import sys
import warnings
from typing import List, Optional

# The command line is quiet by default: TF's C++ start-up chatter (CUDA plugin registration) and
# Google client libraries' Python-version notices say nothing about the user's run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.")

import kerasknow  # noqa: E402  (sets the environment TensorFlow reads, before it loads)
from kerasknow.config import TASKS, RunConfig  # noqa: E402
from kerasknow.config.settings import config_flags, setting  # noqa: E402
from kerasknow.errors import ConfigError, KerasknowError  # noqa: E402
from kerasknow.run_log import LOG_NAME, log_path  # noqa: E402

#: Shorter spellings of config flags.
FLAG_ALIASES = {"validation.schema_path": ("--schema",)}


def _default_of(path: str):
    """The default of a config field, for `--help`."""
    defaults = RunConfig().to_dict()
    parts = path.split(".")
    return defaults[parts[0]] if len(parts) == 1 else defaults[parts[0]][parts[1]]


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE.yaml", help="YAML run config in sections (kerasknow/configs/<task>.yaml "
                        "lays out each task's fields; docs/architecture.md lists the sections); flags override it "
                        "(default: none, the defaults below)")
    for flag in config_flags():
        default = _default_of(flag.path)
        shown = repr(default) if default == "" else default
        names = [flag.flag] + [alias for alias in FLAG_ALIASES.get(flag.path, ()) if alias != flag.flag]
        parser.add_argument(*names, dest=flag.path, default=None, type=flag.type, metavar=flag.metavar,
                            choices=flag.choices, help=f"{flag.help} (default: {shown}; YAML: {flag.path})")
    parser.add_argument("--beam-arg", action="append", dest="beam_args", metavar="ARG",
                        help="Beam pipeline arg for the data steps, repeatable (e.g. --beam-arg=--runner=FlinkRunner; "
                        "default: Beam's DirectRunner in this process)")


def _add_verbose_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also show the libraries' output (TFX, TensorFlow, Beam, Keras Tuner) on the terminal; it "
                        f"always goes to OUTPUT/{LOG_NAME} (default: off)")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    overrides = {flag.path: getattr(args, flag.path) for flag in config_flags()}
    if args.config:
        return RunConfig.from_yaml(args.config, overrides)
    return RunConfig().with_overrides(overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasknow", description="Knowledge bases to TF Serving models with TFX and Keras.",
        epilog="Every command has --help. Daily: kerasknow run --data PATH --output DIR; kerasknow runs --output DIR; "
        "kerasknow tensorboard --output DIR; kerasknow predict --model NAME TEXT...")
    parser.add_argument("--version", action="version", version=f"kerasknow {kerasknow.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("doctor", help="versions of the stack and known problems with fixes",
                   description="Prints the versions of the packages kerasknow's stack must agree on (TF, tf-keras, "
                   "TFX, TFDV, transformers, Keras Tuner, Beam, TF Serving's API), the offline data and weights "
                   "packages, and a fix line for each problem. Exits 1 when there is a problem.")

    run = sub.add_parser("run", help="run the pipeline locally (LocalDagRunner, SQLite metadata)",
                         description="Runs the pipeline on the knowledge in --data, with outputs in --output: one "
                         f"line per step on the terminal, the libraries' output in OUTPUT/{LOG_NAME}.")
    _add_config_flags(run)
    run.add_argument("--no-tune", action="store_true", help="skip the Keras Tuner search (default: tune)")
    _add_verbose_flag(run)

    val = sub.add_parser("validate", help="ingest and validate knowledge only (no training): the knowledge report",
                         description="Runs the first half of the pipeline on --data: ingest (the rejects report), "
                         "TFDV statistics and schema, and the knowledge checks; prints the knowledge report. Exits 1 "
                         "when it has errors (or ingest failed), 0 otherwise: what a data owner runs before handing "
                         "knowledge over. Add --beam-arg=--direct_running_mode=multi_processing "
                         "--beam-arg=--direct_num_workers=N for N local processes, or a cluster runner's flags. "
                         "Reports in OUTPUT/reports/<run>/; artifacts and metadata in OUTPUT/validate/ (the "
                         f"metadata in a local folder for an OUTPUT URI); the log in OUTPUT/{LOG_NAME}.")
    _add_config_flags(val)
    _add_verbose_flag(val)

    runs = sub.add_parser("runs", help="the pipeline runs of an output folder, from ML Metadata",
                          description="A table of the runs under an output folder: when, data, records used and "
                          "rejected, model, accuracy and F1, blessed or not, pushed version.")
    runs.add_argument("--output", required=True, metavar="DIR", help="the run's output folder (required)")
    runs.add_argument("--json", action="store_true", help="print the runs as JSON (default: a table)")

    comp = sub.add_parser("compile", help="write the pipeline for Kubeflow Pipelines (.yaml) or Vertex AI (.json)",
                          description="Compiles the same pipeline for Kubeflow Pipelines 2.x (OUT.yaml, a PipelineSpec) "
                          "or Vertex AI Pipelines (OUT.json, a PipelineJob). Paths stay as given: use ones the cluster "
                          "reads (gs://, s3://, hdfs://). docs/kubeflow.md has the whole path.")
    comp.add_argument("--kubeflow", required=True, metavar="OUT.yaml",
                      help="the file to write, local or a URI: .yaml/.yml for Kubeflow Pipelines, .json for Vertex AI "
                      "(required)")
    comp.add_argument("--image", default=f"kerasknow:{kerasknow.__version__}",
                      help="container image with kerasknow installed, built from the repository's Dockerfile "
                      "(default: %(default)s)")
    comp.add_argument("--cpu", type=float, default=0.0, metavar="N",
                      help="CPU cores the Tuner and the Trainer request (default: 0, the cluster's default)")
    comp.add_argument("--memory", default="", metavar="SIZE",
                      help="memory the Tuner and the Trainer request, e.g. 16G or 32Gi (default: '', the cluster's "
                      "default)")
    comp.add_argument("--gpus", type=int, default=0, metavar="N",
                      help="GPUs the Tuner and the Trainer request (default: 0)")
    comp.add_argument("--gpu-type", default="nvidia.com/gpu", metavar="TYPE",
                      help="the GPUs' resource name: nvidia.com/gpu on Kubeflow, a kind such as NVIDIA_TESLA_T4 on "
                      "Vertex AI (default: %(default)s)")
    _add_config_flags(comp)

    demo = sub.add_parser("demo", help="the whole pipeline on a real dataset and real weights, then a served "
                          "prediction")
    demo.add_argument("--task", choices=TASKS, default="text-classification", help="the demo (default: %(default)s)")
    demo.add_argument("--output", default=None, metavar="DIR",
                      help="output folder (default: kerasknow-demo, or kerasknow-demo-update with --update)")
    demo.add_argument("--examples-per-label", type=int, default=0, metavar="N",
                      help="a subset: the first N examples of each label, or for NER the first N sentences "
                      "(default: the demo's size)")
    demo.add_argument("--update", action="store_true",
                      help="text: BBC News with three classes, then the other two arriving as an update "
                           "(update.strategy replay); prints what the update kept (default: off)")
    _add_verbose_flag(demo)

    board = sub.add_parser("tensorboard", help="TensorBoard over a run's logs, bound to localhost")
    board.add_argument("--output", required=True, metavar="DIR", help="the run's output folder (required)")
    board.add_argument("--port", type=int, default=6006, help="port on 127.0.0.1 (default: %(default)s)")

    sub.add_parser("serve", help="development server speaking TF Serving's gRPC and REST APIs", add_help=False)
    sub.add_parser("predict", help="gRPC or REST client for TF Serving (or kerasknow serve)", add_help=False)
    sub.add_parser("evaluate", help="score a served model on labelled data (metrics, confusion matrix)",
                   add_help=False)
    sub.add_parser("versions", help="a pushed model's versions, labels and what models.config loads", add_help=False)
    sub.add_parser("promote", help="move the stable/canary label to the version the last push added", add_help=False)
    sub.add_parser("rollback", help="make an earlier version the served one (nothing is deleted)", add_help=False)
    return parser


def _tensorboard(output: str, port: int) -> int:
    logdir = os.path.join(output, "tensorboard")
    if "://" not in output:  # TensorBoard reads gs://, s3://, hdfs:// logdirs itself
        if not os.path.isdir(output):
            raise KerasknowError(f"No run output at {output!r}. Run `kerasknow run` or `kerasknow demo` first.")
        logdir = logdir if os.path.isdir(logdir) else output
    argv = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1", "--port", str(port)]
    print(f"TensorBoard on http://127.0.0.1:{port} over {logdir} (runs: <run>/validation, <run>/tuning/trial-N, "
          "<run>/training, <run>/evaluation)", flush=True)
    os.execv(sys.executable, argv)
    return 0  # not reached


def check_data(cfg: RunConfig) -> None:
    """Raises `ConfigError` for a missing or absent `data` before TensorFlow loads or any folder is made."""
    if not cfg.data:
        raise ConfigError(f"No knowledge data: set {setting('data')} to your labelled data (text: a CSV/TSV/JSONL "
                          "file or a folder of <label>/*.txt; NER: a CoNLL file; images: a folder of <label>/<image> "
                          "or IDX files). Received: data=''")
    # A URI (gs://, s3://, hdfs://) is checked by the ingest, through TensorFlow's file systems.
    if "://" not in cfg.data and not os.path.exists(cfg.data):
        raise ConfigError(f"Knowledge data not found ({setting('data')}). Received: data={cfg.data!r}")


def _run(args) -> int:
    from kerasknow.run_log import quiet_run

    cfg = config_from_args(args)
    check_data(cfg)
    with quiet_run(cfg.output, verbose=args.verbose) as console:
        from kerasknow.local_run import run_local

        result = run_local(cfg, beam_pipeline_args=args.beam_args, enable_tuning=not args.no_tune, console=console)
        console.line(run_summary(cfg, result))
    return 0


def _compile(args) -> int:
    from kerasknow.kubeflow_compile import ContainerResources, compile_kubeflow

    try:
        resources = ContainerResources(cpu=args.cpu, memory=args.memory, gpus=args.gpus, gpu_type=args.gpu_type)
    except ValueError as e:
        raise ConfigError(str(e)) from e
    cfg = config_from_args(args)
    if not cfg.data:
        check_data(cfg)
    path = compile_kubeflow(cfg, args.kubeflow, args.image, args.beam_args, resources=resources)
    kind = "Vertex AI PipelineJob" if path.lower().endswith(".json") else "Kubeflow Pipelines PipelineSpec"
    print(f"[kerasknow] wrote {kind} {path} (image {args.image}; artifacts under {os.path.join(cfg.output, 'tfx')})")
    local = [f"{name} {value!r}" for name, value in (("--data", cfg.data), ("--output", cfg.output))
             if "://" not in value]
    if local:
        print(f"[kerasknow] note: {' and '.join(local)} are local paths: the cluster's pods must mount them at the "
              "same path (or use gs://, s3://, hdfs://)")
    return 0


def _validate(args) -> int:
    from kerasknow.run_log import quiet_run

    cfg = config_from_args(args)
    check_data(cfg)
    with quiet_run(cfg.output, verbose=args.verbose) as console:
        from kerasknow.validate_run import validate_local

        result = validate_local(cfg, beam_pipeline_args=args.beam_args, console=console)
        if result.report_text:
            console.line(result.report_text.rstrip("\n"))
        verdict = "FAILED" if result.errors or result.failure else "passed"
        console.line(f"[kerasknow] validation {verdict}: run {result.run_id}: {result.errors} errors, "
                     f"{result.warnings} warnings" + (f"; {result.failure}" if result.failure and
                                                     not result.report_text else ""))
        console.line(f"  reports: {cfg.reports_dir(result.run_id)}  (ingest/rejects.txt, validation/report.txt, "
                     "validation/statistics.html)")
        console.line(f"  log:     {log_path(cfg.output)}")
    return 1 if result.errors or result.failure else 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The serving commands own their flags (and --help); hand them the rest of the line untouched.
    if argv and argv[0] in ("serve", "predict", "versions", "promote", "rollback"):
        from kerasknow.serving import cli as serving_cli

        if argv[0] in ("serve", "predict"):
            fn = serving_cli.serve_main if argv[0] == "serve" else serving_cli.predict_main
            return fn(argv[1:])
        return serving_cli.release_main(argv[0], argv[1:])
    if argv and argv[0] == "evaluate":
        from kerasknow.serving.evaluate_cli import evaluate_main

        return evaluate_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args.command == "doctor":
            from kerasknow.doctor import doctor_main

            return doctor_main()
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "runs":
            from kerasknow.runs_table import runs_main

            return runs_main(args.output, as_json=args.json)
        if args.command == "compile":
            return _compile(args)
        if args.command == "demo":
            from kerasknow.demo import run_demo
            from kerasknow.run_log import quiet_run

            output = args.output or ("kerasknow-demo-update" if args.update else "kerasknow-demo")
            with quiet_run(output, verbose=args.verbose) as console:
                return run_demo(args.task, output, args.examples_per_label, update=args.update, console=console)
        if args.command == "tensorboard":
            return _tensorboard(args.output, args.port)
    except KeyboardInterrupt:
        print("kerasknow: interrupted", file=sys.stderr)
        return 130
    except (KerasknowError, OSError) as e:
        print(f"kerasknow: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        # LocalDagRunner wraps a component's failure; show the component's own message.
        print(f"kerasknow: error: {_one_line(_root_cause(e))}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command!r}")
    return 2


def run_summary(cfg: RunConfig, result) -> str:
    """The run's closing lines: this run's figures and pushed version, what it reused, where things are."""
    spec = cfg.spec
    m = result.metrics
    gate = m.get("gate", {}).get("baseline")
    versus = (f" (baseline {gate['name']}: {gate['accuracy']:.4f} / {gate['f1']:.4f})" if gate else "")
    lines = [f"[kerasknow] done: run {result.run_id}: {spec.accuracy_name} {m['accuracy']:.4f}, {spec.f1_name} "
             f"{m['f1']:.4f}{versus}; pushed {result.pushed_model}"]
    if "Trainer" in result.cached_steps:
        lines.append("[kerasknow] nothing to train: the knowledge and training settings are unchanged, so the model "
                     "(and the figures above) are an earlier run's; cached: " + ", ".join(result.cached_steps))
    elif result.cached_steps:
        lines.append(f"[kerasknow] cached (unchanged): {', '.join(result.cached_steps)}")
    latest = (f"{os.path.join(cfg.reports_dir(), 'LATEST')} names it" if "://" in cfg.output
              else f"also {os.path.join(cfg.reports_dir(), 'latest')}")
    lines.append(f"  reports:     {result.reports}  ({latest})")
    if result.statistics_page:
        lines.append(f"  statistics:  {result.statistics_page}  (TFDV's Facets page; open it in a browser)")
    lines += [f"  TensorBoard: kerasknow tensorboard --output {cfg.output}  (runs {result.run_id}/...)",
              f"  all runs:    kerasknow runs --output {cfg.output}",
              f"  log:         {log_path(cfg.output)}"]
    return "\n".join(lines)


def _root_cause(e: BaseException) -> BaseException:
    while e.__cause__ is not None and e.__cause__ is not e:
        e = e.__cause__
    return e


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
