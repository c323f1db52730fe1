"""Preflight: will this SavedModel load and answer in TF Serving 2.16? Checked before a push.

TFX's InfraValidator starts TF Serving in Docker or Kubernetes; without either, this runs the
model the way the model server would (`preflight_probe.py` in a fresh `python -I` process with
only `tensorflow` and `tensorflow_text` imported) and checks:

- every op in its graphs is one TF Serving 2.16 ships (`data/tf_serving_2.16_ops.txt`: core
  TensorFlow plus the tensorflow-text ops its BUILD links; `tools/tf_serving_ops.py` wrote it);
- the serving signature takes what the task family sends;
- it loads without kerasknow, transformers or Keras;
- the warm-up requests run, and their outputs equal this process's own run of the same model
  (strings and integers equal, floats within 1e-4);
- latency p50/p99 at batch 1 and 16 (reported, not judged).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

import numpy as np

OPS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tf_serving_2.16_ops.txt")
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "preflight_probe.py")
FLOAT_TOLERANCE = 1e-4


def run_preflight(saved_model_dir: str, inputs: Dict[str, str], signature: str = "serving_default",
                  ops_file: str = OPS_FILE, timing_calls: int = 30, timeout: float = 900.0) -> Dict:
    """Runs the preflight on a SavedModel folder (its warm-up file included).

    Args:
        saved_model_dir: The version folder to check (a push's staging folder).
        inputs: The signature's expected inputs, name -> dtype name (`{"texts": "string"}`).
        signature: The signature clients call.
        ops_file: The op list to check against (tests pass a shorter one).
        timing_calls: Calls timed per batch size.
        timeout: Seconds the child process may take.

    Returns:
        The report: `ok`, `problems` (why not), and the child's findings (`ops`, `signatures`,
        `warmup` with `matches_in_process`, `latency_ms`, `versions`, ...).
    """
    scratch = tempfile.mkdtemp(prefix="kerasknow_preflight_")
    outputs_file = os.path.join(scratch, "outputs.tfrecord")
    local_model = saved_model_dir
    if "://" in saved_model_dir:
        # The child starts with a bare environment (no cloud credentials) and a `ram://` folder
        # lives in this process only: it checks a local copy.
        from kerasknow.serving.model_release import copy_tree

        local_model = os.path.join(scratch, "model")
        copy_tree(saved_model_dir, local_model)
    arguments = {"saved_model": local_model, "ops_file": ops_file, "signature": signature, "inputs": inputs,
                 "outputs_file": outputs_file, "timing_calls": timing_calls}
    environment = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        child = subprocess.run([sys.executable, "-I", PROBE, json.dumps(arguments)], capture_output=True,
                               text=True, timeout=timeout, env=environment)
        lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
        report = json.loads(lines[-1]) if child.returncode == 0 and lines else None
        if report is None:
            tail = " ".join(child.stderr.strip().splitlines()[-3:])[-600:]
            report = {"problems": [f"The preflight process failed (exit {child.returncode}): {tail}"]}
    except subprocess.TimeoutExpired:
        report = {"problems": [f"The preflight process took longer than {timeout:g} s."]}
    try:
        if not report["problems"] and report.get("warmup", {}).get("requests"):
            mismatches = compare_with_in_process(saved_model_dir, outputs_file)
            report["warmup"]["matches_in_process"] = not mismatches
            report["problems"] += mismatches
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["ok"] = not report["problems"]
    report["saved_model"] = saved_model_dir
    return report


def compare_with_in_process(saved_model_dir: str, outputs_file: str) -> List[str]:
    """Runs the warm-up requests in this process and compares with the child's outputs.

    Returns:
        One message per output that differs (empty when all match).
    """
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (the tokenizer ops of text models)
    from tensorflow.core.framework import tensor_pb2

    from kerasknow.serving.warmup_requests import read_warmup_requests

    model = tf.saved_model.load(saved_model_dir, tags=["serve"])
    expected = []
    for log in read_warmup_requests(saved_model_dir):
        request = log.predict_log.request
        function = model.signatures[request.model_spec.signature_name or "serving_default"]
        outputs = function(**{k: tf.constant(tf.make_ndarray(v)) for k, v in request.inputs.items()})
        expected += [(name, value.numpy()) for name, value in sorted(outputs.items())]
    served = []
    for record in tf.data.TFRecordDataset(outputs_file):
        name, proto = record.numpy().split(b"\0", 1)
        served.append((name.decode("utf-8"), tf.make_ndarray(tensor_pb2.TensorProto.FromString(proto))))
    if len(served) != len(expected):
        return [f"The preflight process answered {len(served)} outputs for the warm-up requests; this process "
                f"{len(expected)}."]
    problems = []
    for i, ((name, want), (served_name, got)) in enumerate(zip(expected, served)):
        problem = _difference(want, got)
        if served_name != name or problem:
            problems.append(f"Warm-up output {name!r} (#{i}) differs between TF Serving's environment and this "
                            f"process: {problem or 'different output names'}.")
    return problems[:10]


def _difference(want: np.ndarray, got: np.ndarray) -> Optional[str]:
    if want.shape != got.shape:
        return f"shape {list(got.shape)} vs {list(want.shape)}"
    if want.dtype.kind == "f":
        gap = float(np.max(np.abs(want.astype(np.float64) - got.astype(np.float64)))) if want.size else 0.0
        return None if gap <= FLOAT_TOLERANCE else f"max |difference| {gap:.2e} > {FLOAT_TOLERANCE:g}"
    return None if np.array_equal(want, got) else "values differ"


def render_preflight(report: Dict) -> str:
    """The report as text (`preflight.txt`)."""
    lines = [f"preflight: {'PASSED' if report['ok'] else 'FAILED'} ({report.get('saved_model', '')})"]
    lines += [f"  problem: {p}" for p in report["problems"]]
    versions = report.get("versions", {})
    if versions:
        lines.append(f"  environment: tensorflow {versions.get('tensorflow')}, tensorflow-text "
                     f"{versions.get('tensorflow_text')} only (a fresh python -I process)")
    ops = report.get("ops", {})
    if ops:
        lines.append(f"  ops: {ops['used']} op types, {len(ops['not_in_tf_serving'])} not in TF Serving 2.16")
    if "signatures" in report:
        lines.append(f"  signatures: {', '.join(report['signatures'])}")
    warmup = report.get("warmup", {})
    if warmup:
        match = {True: ", outputs equal the in-process model's", False: ", outputs DIFFER"}.get(
            warmup.get("matches_in_process"), "")
        lines.append(f"  warm-up: {warmup.get('requests', 0)} requests{match}")
    for batch, figures in sorted(report.get("latency_ms", {}).items()):
        lines.append(f"  latency {batch.replace('_', ' ')}: p50 {figures['p50']} ms, p99 {figures['p99']} ms "
                     f"({figures['calls']} calls)")
    if "load_seconds" in report:
        lines.append(f"  load: {report['load_seconds']} s")
    return "\n".join(lines) + "\n"
