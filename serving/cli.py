"""`kerasknow serve` and `kerasknow predict`: argparse entry points for the serving tools.

Both return an exit status instead of calling `sys.exit`, so `kerasknow.cli` can dispatch to
them. TensorFlow is imported only when a command runs, so `--help` is fast.
"""
import argparse
import logging
import pathlib
import sys
from typing import Callable, List, Optional

_PRODUCTION_EPILOG = """\
This is a development server. In production serve the pushed model with TF Serving:
  tensorflow_model_server --port=8500 --rest_api_port=8501 \\
      --model_name=NAME --model_base_path=/abs/path/NAME
or: docker run -p 8500:8500 -p 8501:8501 -v /abs/path/NAME:/models/NAME \\
      -e MODEL_NAME=NAME tensorflow/serving
See docs/serving.md."""


def build_serve_parser(prog: str = "kerasknow serve") -> argparse.ArgumentParser:
    """Returns the `kerasknow serve` argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve the newest version of a pushed model over TF Serving's gRPC API "
        "(development server; new versions are picked up while it runs).",
        epilog=_PRODUCTION_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model-base-path", required=True, metavar="DIR/NAME",
        help="The model's base path, <base>/<model_name>, holding integer version directories "
        "(1/, 2/, ...) each with a saved_model.pb; the same as TF Serving's --model_base_path.",
    )
    parser.add_argument("--model-name", required=True, metavar="NAME", help="The name clients request.")
    parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default: %(default)s).")
    parser.add_argument("--port", type=int, default=8500, help="gRPC port, 0 = any free port (default: %(default)s).")
    parser.add_argument(
        "--poll-seconds", type=float, default=1.0,
        help="How often to look for new versions (default: %(default)s).",
    )
    return parser


def build_predict_parser(prog: str = "kerasknow predict") -> argparse.ArgumentParser:
    """Returns the `kerasknow predict` argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Send texts or images to a TF Serving (or `kerasknow serve`) gRPC endpoint and "
        "print the predictions. Inputs: TEXT arguments, --input FILE (one per line, or a CSV/TSV/JSONL "
        "file's --column), or stdin (one per line) when neither is given. It loads no TensorFlow.",
        epilog="Examples: kerasknow predict --model bbc 'Shares rose sharply' 'The match ended 2-1'\n"
        "  kerasknow predict --model bbc --input new.csv --column text --top-k 3 --json\n"
        "  ls photos/*.jpg | kerasknow predict --model fashion --images",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("texts", nargs="*", metavar="TEXT",
                        help="texts to predict for (image paths with --images) (default: --input or stdin)")
    parser.add_argument("--server", default="localhost:8500", metavar="HOST:PORT",
                        help="gRPC endpoint (default: %(default)s).")
    parser.add_argument("--model", required=True, metavar="NAME", help="The served model's name (required).")
    parser.add_argument("--signature", default="serving_default", help="Signature to call (default: %(default)s).")
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


def _parse(parser: argparse.ArgumentParser, argv: Optional[List[str]]):
    try:
        return parser.parse_args(argv), None
    except SystemExit as e:  # --help (0) or a usage error (2, already printed by argparse)
        return None, int(e.code or 0)


def _fail(prog: str, error: BaseException) -> int:
    print(f"{prog}: error: {error}", file=sys.stderr)
    return 1


def serve_main(
    argv: Optional[List[str]] = None,
    on_started: Optional[Callable[[object], None]] = None,
) -> int:
    """Runs `kerasknow serve` until interrupted.

    Args:
        argv: Arguments without the program name (default: `sys.argv[1:]`).
        on_started: Called with the started `DevModelServer` (tests use it to stop the server).

    Returns:
        0 after a clean stop (Ctrl-C), 1 on a failure (one line on stderr), 2 on a usage error.
    """
    parser = build_serve_parser()
    args, code = _parse(parser, argv)
    if args is None:
        return code
    from kerasknow.errors import KerasknowError
    from kerasknow.serving.model_server import DevModelServer

    if not logging.getLogger().handlers:
        # An application entry point: show the server's load/swap messages unless the caller
        # configured logging already.
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        server = DevModelServer(
            args.model_base_path, args.model_name, host=args.host, port=args.port, poll_seconds=args.poll_seconds
        )
        server.start()
    except (KerasknowError, OSError, ValueError) as e:
        return _fail(parser.prog, e)
    try:
        if on_started is not None:
            on_started(server)
        server.wait()
    except KeyboardInterrupt:
        print(f"{parser.prog}: stopping.", file=sys.stderr)
    finally:
        server.stop()
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
    from kerasknow.serving.predict_inputs import read_inputs
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
            values = [pathlib.Path(f).read_bytes() for f in images]
        else:
            shown = values = texts
        name = args.input_name or ("images" if images else "texts")
        with GrpcPredictor(args.server, args.model, timeout=args.timeout) as predictor:
            import numpy as np

            outputs = predictor.predict(args.signature, {name: np.array(
                [v if isinstance(v, bytes) else v.encode("utf-8") for v in values], dtype=object)})
        if args.json:
            print("\n".join(json.dumps(r, ensure_ascii=False) for r in prediction_records(outputs, shown, args.top_k)))
        else:
            print(format_with_top_k(outputs, shown, args.top_k))
    except (KerasknowError, ConnectionError, OSError, ValueError) as e:
        return _fail(parser.prog, e)
    return 0
