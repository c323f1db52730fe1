"""`kerasknow serve`, `predict`, `versions`, `promote` and `rollback`: the serving tools' entry points.

Each returns an exit status instead of calling `sys.exit`, so `kerasknow.cli` can dispatch to
them. TensorFlow is imported only when a command runs, so `--help` is fast.
"""
import argparse
import logging
import signal
import sys
import threading
from typing import Callable, List, Optional

_PRODUCTION_EPILOG = """\
This is a development server. In production serve the pushed models with TF Serving:
  tensorflow_model_server --port=8500 --rest_api_port=8501 \\
      --model_config_file=/abs/DIR/serving/models.config --model_config_file_poll_wait_seconds=60 \\
      --allow_version_labels_for_unavailable_models=true \\
      --enable_batching=true --batching_parameters_file=/abs/DIR/serving/batching.config \\
      --monitoring_config_file=/abs/DIR/serving/monitoring.config
or one model: tensorflow_model_server --port=8500 --rest_api_port=8501 \\
      --model_name=NAME --model_base_path=/abs/DIR/serving/NAME
or: docker run -p 8500:8500 -p 8501:8501 -v /abs/path/NAME:/models/NAME \\
      -e MODEL_NAME=NAME tensorflow/serving:2.16.1
See docs/serving.md."""


def build_serve_parser(prog: str = "kerasknow serve") -> argparse.ArgumentParser:
    """Returns the `kerasknow serve` argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve pushed models over TF Serving's gRPC (and REST) APIs: one model's newest "
        "version, or every model of a models.config (development server; new versions and config "
        "changes are picked up while it runs).",
        epilog=_PRODUCTION_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model-base-path", metavar="DIR/NAME",
        help="The model's base path, <base>/<model_name>, holding integer version directories "
        "(1/, 2/, ...) each with a saved_model.pb; the same as TF Serving's --model_base_path.",
    )
    parser.add_argument("--model-name", metavar="NAME", help="The name clients request.")
    parser.add_argument("--model-config-file", metavar="FILE",
                        help="A models.config (TF Serving ModelServerConfig text, as the pusher writes it) "
                        "instead of --model-base-path/--model-name: every model, version policy and label in it.")
    parser.add_argument("--model-config-file-poll-seconds", type=float, default=0.0, metavar="S",
                        help="Re-read --model-config-file this often; 0 reads it once (default: %(default)s, as "
                        "TF Serving's --model_config_file_poll_wait_seconds).")
    parser.add_argument("--allow-version-labels-for-unavailable-models", action="store_true",
                        help="A label new to the server may point at a version still loading (TF Serving's flag; "
                        "needed for labels at start-up).")
    parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default: %(default)s).")
    parser.add_argument("--port", type=int, default=8500, help="gRPC port, 0 = any free port (default: %(default)s).")
    parser.add_argument("--rest-port", type=int, default=None, metavar="PORT",
                        help="Also serve TF Serving's REST API (and /monitoring/prometheus/metrics) on this port, "
                        "0 = any free port (default: no REST; TF Serving uses 8501).")
    parser.add_argument("--poll-seconds", type=float, default=1.0,
                        help="How often to look for new versions (default: %(default)s).")
    parser.add_argument("--enable-batching", action="store_true",
                        help="Batch concurrent requests (TF Serving's --enable_batching).")
    parser.add_argument("--batching-parameters-file", metavar="FILE",
                        help="TF Serving BatchingParameters text (max_batch_size, batch_timeout_micros, "
                        "max_enqueued_batches, num_batch_threads); implies --enable-batching.")
    parser.add_argument("--monitoring-config-file", metavar="FILE",
                        help="TF Serving MonitoringConfig text: where the Prometheus metrics are served on the "
                        "REST port (default: /monitoring/prometheus/metrics).")
    from kerasknow.serving.server_limits import ServerLimits

    for field, flag in ServerLimits.FLAGS.items():
        parser.add_argument(flag, dest=field, type=int, default=getattr(ServerLimits, field), metavar="N",
                            help=f"{ServerLimits.HELP[field]} (default: %(default)s).")
    parser.add_argument("--model-threads", type=int, default=0, metavar="N",
                        help="Threads running models without batching (default: one per CPU core).")
    parser.add_argument("--max-num-load-retries", type=int, default=5, metavar="N",
                        help="Retries of a failing version load before giving up (default: %(default)s).")
    parser.add_argument("--load-retry-interval-seconds", type=float, default=60.0, metavar="S",
                        help="Seconds between load retries (default: %(default)s).")
    return parser


def build_predict_parser(prog: str = "kerasknow predict") -> argparse.ArgumentParser:
    """Returns the `kerasknow predict` argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Send texts or images to a TF Serving (or `kerasknow serve`) endpoint, over gRPC or "
        "REST, and print the predictions. Inputs: TEXT arguments, --input FILE (one per line, or a "
        "CSV/TSV/JSONL file's --column), or stdin (one per line) when neither is given. Over gRPC it "
        "loads no TensorFlow.",
        epilog="Examples: kerasknow predict --model bbc 'Shares rose sharply' 'The match ended 2-1'\n"
        "  kerasknow predict --model bbc --input new.csv --column text --top-k 3 --json\n"
        "  kerasknow predict --model bbc --version-label canary 'Shares rose sharply'\n"
        "  kerasknow predict --rest http://localhost:8501 --model bbc 'Shares rose sharply'\n"
        "  ls photos/*.jpg | kerasknow predict --model fashion --images",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT",
                        help="texts to predict for (image paths with --images) (default: --input or stdin)")
    parser.add_argument("--server", default="localhost:8500", metavar="HOST:PORT",
                        help="gRPC endpoint (default: %(default)s).")
    parser.add_argument("--rest", default=None, metavar="URL",
                        help="use the REST API at this URL (e.g. http://localhost:8501) instead of gRPC "
                        "(default: gRPC at --server)")
    parser.add_argument("--model", required=True, metavar="NAME", help="The served model's name (required).")
    parser.add_argument("--signature", default="serving_default", help="Signature to call (default: %(default)s).")
    version = parser.add_mutually_exclusive_group()
    version.add_argument("--version", type=int, default=None, help="a specific version (default: the newest)")
    version.add_argument("--version-label", default=None, metavar="LABEL",
                         help="a version label of the models.config, e.g. stable or canary (default: none)")
    parser.add_argument("--input", metavar="FILE", default=None,
                        help="read the inputs from FILE: one per line, or the --column of a .csv/.tsv/.jsonl file; "
                        "'-' is stdin (default: none)")
    parser.add_argument("--column", default="text", metavar="NAME",
                        help="the column (CSV/TSV) or key (JSONL) of --input holding the inputs (default: %(default)s)")
    parser.add_argument("--images", action="store_true",
                        help="the inputs are image file paths; their bytes are sent (default: texts)")
    parser.add_argument("--image", action="append", default=[], metavar="FILE",
                        help="An image file to predict for (image models); repeatable (default: none).")
    parser.add_argument("--input-name", default=None,
                        help="The signature's input name (default: 'texts', or 'images' for images).")
    parser.add_argument("--top-k", type=int, default=1, metavar="K",
                        help="classifiers: also show the next most probable classes, K in all (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per input (label, probability, top_k, entities) (default: text)")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per request (default: %(default)s).")
    return parser


def build_release_parser(command: str) -> argparse.ArgumentParser:
    """Returns the parser of `kerasknow versions`, `promote` or `rollback`."""
    descriptions = {
        "versions": "List a pushed model's versions, their labels and whether models.config loads them.",
        "promote": "Move a label to the version the last push added, once the server has loaded it (TF Serving "
                   "refuses a label on a version it has not loaded). A canary push: --label canary (the default "
                   "for it), then --label stable.",
        "rollback": "Make an earlier version the served one (stable label and version policy in models.config); "
                    "nothing is deleted.",
    }
    parser = argparse.ArgumentParser(prog=f"kerasknow {command}", description=descriptions[command])
    parser.add_argument("--model-base-path", required=True, metavar="DIR/serving/NAME",
                        help="The model's base path, as the pusher wrote it.")
    parser.add_argument("--model-config-file", default=None, metavar="FILE",
                        help="The models.config (default: beside the model's folder).")
    if command == "promote":
        parser.add_argument("--label", choices=("stable", "canary"), default=None,
                            help="The label to move (default: the one the push asked for).")
    if command == "rollback":
        parser.add_argument("--to", type=int, default=None, metavar="VERSION",
                            help="The version to serve (default: the newest one older than stable).")
    if command != "versions":
        parser.add_argument("--server", default=None, metavar="HOST:PORT",
                            help="The TF Serving gRPC endpoint serving the models.config: wait until it has "
                            "loaded the version before moving the label.")
        parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                            help="Seconds to wait for --server (default: %(default)s).")
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Optional[List[str]]):
    try:
        return parser.parse_args(argv), None
    except SystemExit as e:  # --help (0) or a usage error (2, already printed by argparse)
        return None, int(e.code or 0)


def _fail(prog: str, error: BaseException) -> int:
    print(f"{prog}: error: {' '.join(str(error).split())}", file=sys.stderr)
    return 1


def serve_main(
    argv: Optional[List[str]] = None,
    on_started: Optional[Callable[[object], None]] = None,
) -> int:
    """Runs `kerasknow serve` until interrupted (Ctrl-C) or sent SIGTERM, then drains and stops.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).
        on_started: Called with the started `DevModelServer` (tests use it to stop the server).

    Returns:
        0 after a clean stop, 1 on a failure (one line on stderr), 2 on a usage error.
    """
    parser = build_serve_parser()
    args, code = _parse(parser, argv)
    if args is None:
        return code
    from kerasknow.errors import KerasknowError
    from kerasknow.serving.model_server import DevModelServer
    from kerasknow.serving.server_limits import ServerLimits

    if not logging.getLogger().handlers:
        # An application entry point: show the server's load/swap messages unless the caller
        # configured logging already.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        # Containers stop a server with SIGTERM: stop taking requests, let those in flight finish.
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        limits = ServerLimits(**{field: getattr(args, field) for field in ServerLimits.FLAGS})
        server = DevModelServer(
            args.model_base_path, args.model_name, host=args.host, port=args.port, poll_seconds=args.poll_seconds,
            model_config_file=args.model_config_file,
            model_config_poll_seconds=args.model_config_file_poll_seconds,
            allow_version_labels_for_unavailable_models=args.allow_version_labels_for_unavailable_models,
            rest_port=args.rest_port, enable_batching=args.enable_batching,
            batching_parameters_file=args.batching_parameters_file,
            monitoring_config_file=args.monitoring_config_file, limits=limits, model_threads=args.model_threads,
            max_load_retries=args.max_num_load_retries,
            load_retry_interval_seconds=args.load_retry_interval_seconds)
        server.start()
    except (KerasknowError, OSError, ValueError) as e:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        return _fail(parser.prog, e)
    try:
        if on_started is not None:
            on_started(server)
        while not stop.is_set() and server.wait(timeout=0.5):
            pass
        if stop.is_set():
            print(f"{parser.prog}: SIGTERM: draining in-flight requests, then stopping.", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{parser.prog}: stopping.", file=sys.stderr)
    finally:
        server.stop(grace=5.0)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


def predict_main(argv: Optional[List[str]] = None, stdin=None) -> int:
    """Runs `kerasknow predict`: prints `format_predictions` lines (or JSON lines) on stdout.

    It imports no TensorFlow (`kerasknow.serving.grpc_predict`), so it starts fast.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).
        stdin: Where inputs come from without arguments or `--input` (default: `sys.stdin`).

    Returns:
        0 on success, 1 on a failure (one clear line on stderr), 2 on a usage error.
    """
    parser = build_predict_parser()
    args, code = _parse(parser, argv)
    if args is None:
        return code
    import json

    from kerasknow.errors import KerasknowError
    from kerasknow.serving.grpc_predict import GrpcPredictor
    from kerasknow.serving.predict_inputs import read_input_file, read_inputs
    from kerasknow.serving.prediction_output import format_with_top_k, prediction_records

    if args.top_k < 1:
        print(f"{parser.prog}: error: --top-k must be >= 1. Received: --top-k {args.top_k}", file=sys.stderr)
        return 2
    try:
        inputs = read_inputs(args.texts, args.input, args.column, stdin, stdin_if_none=not args.image)
        images = args.image + (inputs if args.images else [])
        texts = [] if args.images else inputs
        if bool(texts) == bool(images):
            print(f"{parser.prog}: error: give either texts (TEXT arguments, --input FILE or stdin) or images "
                  f"(--images with paths, or --image FILE), not {'both' if texts else 'neither'}.", file=sys.stderr)
            return 2
        if images:
            shown = images
            values = [read_input_file(f, "--image") for f in images]
        else:
            shown = values = texts
        name = args.input_name or ("images" if images else "texts")
        import numpy as np

        batch = {name: np.array([v if isinstance(v, bytes) else v.encode("utf-8") for v in values], dtype=object)}
        if args.rest:
            # REST reads the signature's dtypes from the server's metadata, through TensorFlow.
            from kerasknow.serving.rest_prediction_client import RestPredictionClient

            with RestPredictionClient(args.rest, args.model, signature_name=args.signature,
                                      timeout=args.timeout) as client:
                outputs = client.predict(batch, version=args.version, version_label=args.version_label)
        else:
            with GrpcPredictor(args.server, args.model, timeout=args.timeout) as predictor:
                outputs = predictor.predict(args.signature, batch, version=args.version,
                                            version_label=args.version_label)
        if args.json:
            print("\n".join(json.dumps(r, ensure_ascii=False) for r in prediction_records(outputs, shown, args.top_k)))
        else:
            print(format_with_top_k(outputs, shown, args.top_k))
    except (KerasknowError, ConnectionError, OSError, ValueError) as e:
        return _fail(parser.prog, e)
    return 0


def release_main(command: str, argv: Optional[List[str]] = None) -> int:
    """Runs `kerasknow versions`, `promote` or `rollback`.

    Args:
        command: `"versions"`, `"promote"` or `"rollback"`.
        argv: Arguments without the program and command names.

    Returns:
        0 on success (printed what changed), 1 on a failure (one line on stderr), 2 on a usage error.
    """
    parser = build_release_parser(command)
    args, code = _parse(parser, argv)
    if args is None:
        return code
    from kerasknow.errors import KerasknowError
    from kerasknow.serving.model_release import STABLE, ModelRelease, wait_until_available

    try:
        release = ModelRelease(args.model_base_path, args.model_config_file)
        if command == "versions":
            print(release.describe())
            return 0

        def loaded(version: int) -> bool:
            if not args.server:
                return True
            print(f"waiting for {args.server} to load version {version} of {release.model_name!r} ...", flush=True)
            if wait_until_available(args.server, release.model_name, version, args.timeout):
                return True
            raise KerasknowError(f"{args.server} did not load version {version} of {release.model_name!r} within "
                                 f"{args.timeout:g} s (--timeout); the label was not moved. Check that it serves "
                                 f"{release.config.path} and polls it (--model_config_file_poll_wait_seconds).")

        if command == "promote":
            pending = release.pending()
            versions, labels = release.entry()
            if pending is not None:
                version, label = pending[0], args.label or pending[1]
            elif args.label in (None, STABLE) and "canary" in labels:
                version, label = labels["canary"], STABLE
            else:
                print(f"Nothing to promote: {release.config.path} labels {labels or 'nothing'} of "
                      f"{release.model_name!r} and loads {sorted(versions)}.")
                return 0
            loaded(version)
            labels = release.move_label(label, version)
            print(f"{release.model_name!r}: {label} -> version {version} (labels now {labels}) in {release.config.path}.")
            return 0
        version, done = release.rollback(args.to)
        if not done and args.server and loaded(version):
            version, done = release.rollback(version)
        if done:
            print(f"{release.model_name!r}: rolled back: stable -> version {version}, the only version loaded, in "
                  f"{release.config.path} (servers started with --model_base_path alone still serve the newest).")
        else:
            print(f"{release.model_name!r}: version {version} is now in the version policy of {release.config.path}; "
                  f"once the server has loaded it, run the same rollback again (or pass --server) to move stable.")
        return 0
    except (KerasknowError, OSError, ValueError) as e:
        return _fail(parser.prog, e)
