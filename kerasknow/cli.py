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

from kerasknow import _env  # noqa: E402,F401  (before TensorFlow)
from kerasknow.config import TASKS, RunConfig  # noqa: E402
from kerasknow.config.settings import config_flags  # noqa: E402
from kerasknow.errors import KerasknowError  # noqa: E402

def _default_of(path: str):
    """The default of a config field, for `--help`."""
    defaults = RunConfig().to_dict()
    parts = path.split(".")
    return defaults[parts[0]] if len(parts) == 1 else defaults[parts[0]][parts[1]]


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE.yaml", help="YAML run config in sections (kerasknow/configs/<task>.yaml "
                        "lays out each task's fields; docs/architecture.md lists the sections); flags override it")
    for flag in config_flags():
        default = _default_of(flag.path)
        shown = repr(default) if default == "" else default
        parser.add_argument(flag.flag, dest=flag.path, default=None, type=flag.type, metavar=flag.metavar,
                            choices=flag.choices, help=f"{flag.help} (default: {shown}; YAML: {flag.path})")
    parser.add_argument("--beam-arg", action="append", dest="beam_args", metavar="ARG",
                        help="Beam pipeline arg for the data steps, repeatable (e.g. --beam-arg=--runner=FlinkRunner)")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    overrides = {flag.path: getattr(args, flag.path) for flag in config_flags()}
    if args.config:
        return RunConfig.from_yaml(args.config, overrides)
    return RunConfig().with_overrides(overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasknow", description="Knowledge bases to TF Serving models with TFX and Keras.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("doctor", help="versions of the stack and known problems with fixes")

    run = sub.add_parser("run", help="run the pipeline locally (LocalDagRunner, SQLite metadata)")
    _add_config_flags(run)
    run.add_argument("--no-tune", action="store_true", help="skip the Keras Tuner search")

    comp = sub.add_parser("compile", help="write the Kubeflow Pipelines V2 spec of the pipeline")
    comp.add_argument("--kubeflow", required=True, metavar="OUT.json")
    comp.add_argument("--image", default="kerasknow:0.1.0", help="container image with kerasknow installed")
    _add_config_flags(comp)

    demo = sub.add_parser("demo", help="the whole pipeline on a real dataset and real weights, then a served prediction")
    demo.add_argument("--task", choices=TASKS, default="text-classification")
    demo.add_argument("--output", default=None, metavar="DIR",
                      help="output folder (default: kerasknow-demo, or kerasknow-demo-update with --update)")
    demo.add_argument("--examples-per-label", type=int, default=0, metavar="N",
                      help="a subset: the first N examples of each label, or for NER the first N sentences (default: the demo's size)")
    demo.add_argument("--update", action="store_true",
                      help="text: BBC News with three classes, then the other two arriving as an update "
                           "(update.strategy replay); prints what the update kept (default: off)")

    board = sub.add_parser("tensorboard", help="TensorBoard over a run's logs, bound to localhost")
    board.add_argument("--output", required=True, metavar="DIR")
    board.add_argument("--port", type=int, default=6006)

    sub.add_parser("serve", help="development server speaking TF Serving's gRPC and REST APIs", add_help=False)
    sub.add_parser("predict", help="gRPC or REST client for TF Serving (or kerasknow serve)", add_help=False)
    sub.add_parser("versions", help="a pushed model's versions, labels and what models.config loads", add_help=False)
    sub.add_parser("promote", help="move the stable/canary label to the version the last push added", add_help=False)
    sub.add_parser("rollback", help="make an earlier version the served one (nothing is deleted)", add_help=False)
    return parser


def _tensorboard(output: str, port: int) -> int:
    if not os.path.isdir(output):
        raise KerasknowError(f"No run output at {output!r}. Run `kerasknow run` or `kerasknow demo` first.")
    argv = [sys.executable, "-m", "tensorboard.main", "--logdir", output, "--host", "127.0.0.1", "--port", str(port)]
    print(f"TensorBoard on http://127.0.0.1:{port} over {output}", flush=True)
    os.execv(sys.executable, argv)
    return 0  # not reached


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The serving commands own their flags (and --help); hand them the rest of the line untouched.
    if argv and argv[0] in ("serve", "predict", "versions", "promote", "rollback"):
        from kerasknow.serving import cli as serving_cli

        if argv[0] in ("serve", "predict"):
            fn = serving_cli.serve_main if argv[0] == "serve" else serving_cli.predict_main
            return fn(argv[1:])
        return serving_cli.release_main(argv[0], argv[1:])
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
            from kerasknow.local_run import run_local

            cfg = config_from_args(args)
            result = run_local(cfg, beam_pipeline_args=args.beam_args, enable_tuning=not args.no_tune)
            print(run_summary(cfg, result))
            return 0
        if args.command == "compile":
            from kerasknow.local_run import compile_kubeflow

            path = compile_kubeflow(config_from_args(args), args.kubeflow, args.image, args.beam_args)
            print(f"[kerasknow] wrote Kubeflow V2 pipeline spec {path}")
            return 0
        if args.command == "demo":
            from kerasknow.demo import run_demo

            output = args.output or ("kerasknow-demo-update" if args.update else "kerasknow-demo")
            return run_demo(args.task, output, args.examples_per_label, update=args.update)
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
    """The run's closing line: this run's figures and pushed version, and what it reused."""
    spec = cfg.spec
    m = result.metrics
    gate = m.get("gate", {}).get("baseline")
    versus = (f" (baseline {gate['name']}: {gate['accuracy']:.4f} / {gate['f1']:.4f})" if gate else "")
    line = (f"[kerasknow] done: {spec.accuracy_name} {m['accuracy']:.4f}, {spec.f1_name} {m['f1']:.4f}{versus}; "
            f"pushed {result.pushed_model}")
    if "Trainer" in result.cached_steps:
        line += "\n[kerasknow] nothing to train: the knowledge and training settings are unchanged, so the " \
                "model (and the figures above) are the earlier run's; cached: " + ", ".join(result.cached_steps)
    elif result.cached_steps:
        line += f"\n[kerasknow] cached (unchanged): {', '.join(result.cached_steps)}"
    return line + f"\n[kerasknow] reports {result.reports}; TensorBoard: kerasknow tensorboard --output {cfg.output}"


def _root_cause(e: BaseException) -> BaseException:
    while e.__cause__ is not None and e.__cause__ is not e:
        e = e.__cause__
    return e


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
