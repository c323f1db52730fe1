"""`kerasknow runs --output DIR`: the pipeline runs under an output folder, from ML Metadata."""
import dataclasses
import datetime
import json
import os
from typing import List

from kerasknow.metadata.run_record import RunRecord, metric_names, run_records

COLUMNS = ("run", "started", "state", "data", "used/rejected", "model", "accuracy", "f1", "blessed", "pushed")


def _short(path: str, width: int = 28) -> str:
    return path if len(path) <= width else "..." + path[-(width - 3):]


def _figure(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _row(record: RunRecord) -> List[str]:
    trainer = record.step("Trainer")
    model = "-" if record.model_id is None else f"#{record.model_id}"
    if trainer is not None and trainer.state == "cached":
        model += f" (cached from {record.origins.get('Trainer', 'an earlier run')})"
    blessed = {None: "-", True: "yes", False: "no"}[record.blessed]
    rows = "-" if record.used is None else f"{record.used}/{record.rejected}"
    started = datetime.datetime.fromtimestamp(record.started_ms / 1000.0).strftime("%Y-%m-%d %H:%M:%S")
    return [record.run_id, started, record.state, _short(record.data) or "-", rows, model, _figure(record.accuracy),
            _figure(record.f1), blessed, record.pushed_version or "-"]


def format_runs(records: List[RunRecord]) -> str:
    """The runs as an aligned text table, oldest first, with a legend."""
    table = [list(COLUMNS)] + [_row(r) for r in records]
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
    tasks = sorted({r.task for r in records if r.task})
    names = "; ".join(f"{t}: {' / '.join(metric_names(t))}" for t in tasks)
    lines += ["", "used/rejected: records of the knowledge data; model: ML Metadata id of the model the run trained "
              "(or reused from the cache); accuracy / f1: its evaluation" + (f" ({names})" if names else "")
              + "; pushed: the served version. Each run's reports: reports/<run>/, TensorBoard: tensorboard/<run>/."]
    return "\n".join(lines)


def runs_main(output: str, as_json: bool = False) -> int:
    """Prints the runs under `output`; returns 0.

    Raises:
        FileNotFoundError: When no pipeline ran with this output (no ML Metadata there).
    """
    from kerasknow.config.run_config import METADATA_NAME, local_state_dir

    # An output URI's ML Metadata is local (SQLite): in local_state_dir(output).
    metadata_path = os.path.join(local_state_dir(output), METADATA_NAME)
    if not os.path.exists(metadata_path):
        raise FileNotFoundError(f"No runs under {output!r}: there is no {metadata_path}. Run `kerasknow run --data "
                                f"PATH --output {output}` first.")
    records = run_records(metadata_path, output)
    if as_json:
        print(json.dumps([dataclasses.asdict(r) for r in records], indent=2))
    elif not records:
        print(f"No pipeline runs recorded in {metadata_path}.")
    else:
        print(format_runs(records))
    return 0
