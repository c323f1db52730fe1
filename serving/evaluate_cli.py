"""`kerasknow evaluate`: a served model's metrics and confusion matrix on labelled knowledge."""
import argparse
import json
import os
import sys
from typing import List, Optional

_FLAGS = ("task", "ingest.input_format", "ingest.text_column", "ingest.label_column")


def build_evaluate_parser(prog: str = "kerasknow evaluate") -> argparse.ArgumentParser:
    """Returns the `kerasknow evaluate` argument parser."""
    from kerasknow.config import RunConfig
    from kerasknow.config.settings import config_flags

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Score a model served by TF Serving (or `kerasknow serve`) on labelled data, in any of the "
        "ingest formats, and print the metrics, per-class table and confusion matrix the pipeline's "
        "evaluation prints, with whether the default blessing gate would pass it.",
        epilog="Example: kerasknow evaluate --server localhost:8500 --model bbc-news --data new-articles.csv")
    parser.add_argument("--server", default="localhost:8500", metavar="HOST:PORT",
                        help="gRPC endpoint (default: %(default)s)")
    parser.add_argument("--model", required=True, metavar="NAME", help="the served model's name (required)")
    parser.add_argument("--data", required=True, metavar="PATH", help="labelled knowledge data: a file or folder "
                        "(required)")
    defaults = RunConfig().to_dict()
    for flag in config_flags():
        if flag.path in _FLAGS:
            section, _, field = flag.path.partition(".")
            default = defaults[section][field] if field else defaults[section]
            parser.add_argument(flag.flag, dest=flag.path, default=default, type=flag.type, metavar=flag.metavar,
                                choices=flag.choices, help=f"{flag.help} (default: {default})")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON (default: text)")
    parser.add_argument("--report", metavar="DIR", default=None,
                        help="also write metrics.json and metrics.txt to DIR (default: none)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default: %(default)s)")
    return parser


def evaluate_main(argv: Optional[List[str]] = None) -> int:
    """Runs `kerasknow evaluate`; returns 0, 1 on a failure (one line on stderr), 2 on a usage error."""
    parser = build_evaluate_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    from kerasknow.config import RunConfig
    from kerasknow.errors import KerasknowError
    from kerasknow.serving.grpc_predict import GrpcPredictor
    from kerasknow.serving.served_evaluation import evaluate_served_model

    try:
        config = RunConfig(task=getattr(args, "task"), data=args.data, ingest={
            "input_format": getattr(args, "ingest.input_format"), "text_column": getattr(args, "ingest.text_column"),
            "label_column": getattr(args, "ingest.label_column")})
        with GrpcPredictor(args.server, args.model, timeout=args.timeout) as predictor:
            result = evaluate_served_model(predictor.caller(), config)
    except (KerasknowError, ConnectionError, OSError, ValueError) as e:
        print(f"{parser.prog}: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    if args.report:
        import tensorflow as tf  # loaded already (the evaluation reads the data with it); --report may be a URI

        tf.io.gfile.makedirs(args.report)
        with tf.io.gfile.GFile(os.path.join(args.report, "metrics.json"), "w") as f:
            f.write(json.dumps(result.metrics, indent=2))
        with tf.io.gfile.GFile(os.path.join(args.report, "metrics.txt"), "w") as f:
            f.write(result.text)
    if args.json:
        print(json.dumps(result.metrics, indent=2))
        return 0
    first = f" (first: {result.rejects[0]})" if result.rejects else ""
    print(f"[kerasknow] evaluate: model {args.model!r} at {args.server} on {args.data}: {result.read} records, "
          f"{result.used} used, {result.rejected} rejected{first}")
    if result.unknown_labels:
        print(f"[kerasknow] labels the model was not trained on (every one a miss): {', '.join(result.unknown_labels)}")
    print(result.text, end="")
    return 0
