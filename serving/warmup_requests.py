"""TF Serving's warm-up file: `<version>/assets.extra/tf_serving_warmup_requests`.

A TFRecord of `tensorflow.serving.PredictionLog` records, at most 1000 (TF Serving refuses to
load a version with more). The server replays them after loading a version and before it
answers requests, so the first real request does not pay for graph tracing and kernel set-up.
"""
import os
from typing import Dict, Iterable, List, Sequence

import numpy as np
import tensorflow as tf
from google.protobuf import message
from tensorflow_serving.apis import predict_pb2, prediction_log_pb2

WARMUP_DIR = "assets.extra"
WARMUP_FILE = "tf_serving_warmup_requests"
#: TF Serving's limit (`kMaxNumRecords` in its saved_model_warmup_util).
MAX_WARMUP_RECORDS = 1000


def warmup_path(version_dir: str) -> str:
    """`<version_dir>/assets.extra/tf_serving_warmup_requests`."""
    return os.path.join(version_dir, WARMUP_DIR, WARMUP_FILE)


def predict_requests(model_name: str, inputs: Dict[str, Sequence], signature_name: str = "serving_default",
                     rows_per_request: int = 1) -> List[predict_pb2.PredictRequest]:
    """One `PredictRequest` per `rows_per_request` rows of `inputs`.

    Args:
        model_name: `model_spec.name` (TF Serving ignores it for warm-up; clients replaying the
            file use it).
        inputs: Input name -> one value per row (UTF-8 `str`, `bytes` or numbers); all the same length.
        signature_name: The signature the requests call.
        rows_per_request: Rows in each request.

    Returns:
        The requests, in row order.

    Raises:
        ValueError: When the inputs are empty or of different lengths.
    """
    lengths = {name: len(values) for name, values in inputs.items()}
    if not lengths or len(set(lengths.values())) != 1 or not next(iter(lengths.values())):
        raise ValueError(f"inputs must be non-empty lists of the same length. Received lengths: {lengths}.")
    rows = next(iter(lengths.values()))
    requests = []
    for start in range(0, rows, rows_per_request):
        request = predict_pb2.PredictRequest()
        request.model_spec.name = model_name
        request.model_spec.signature_name = signature_name
        for name, values in inputs.items():
            chunk = [v.encode("utf-8") if isinstance(v, str) else v for v in values[start:start + rows_per_request]]
            array = np.array(chunk, dtype=object if isinstance(chunk[0], bytes) else None)
            request.inputs[name].CopyFrom(tf.make_tensor_proto(array))
        requests.append(request)
    return requests


def write_warmup_requests(version_dir: str, requests: Iterable[predict_pb2.PredictRequest]) -> str:
    """Writes the requests as `PredictionLog` records into the version's warm-up file.

    Returns:
        The file's path.

    Raises:
        ValueError: For more than `MAX_WARMUP_RECORDS` requests.
    """
    requests = list(requests)
    if len(requests) > MAX_WARMUP_RECORDS:
        raise ValueError(f"TF Serving replays at most {MAX_WARMUP_RECORDS} warm-up records and refuses to load a "
                         f"version with more. Received: {len(requests)} requests.")
    path = warmup_path(version_dir)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path) as writer:
        for request in requests:
            log = prediction_log_pb2.PredictionLog()
            log.predict_log.request.CopyFrom(request)
            writer.write(log.SerializeToString())
    return path


def read_warmup_requests(version_dir: str) -> List[prediction_log_pb2.PredictionLog]:
    """The version's warm-up records; `[]` when it has no warm-up file.

    Raises:
        ValueError: For more than `MAX_WARMUP_RECORDS` records or a record that is not a
            `PredictionLog`, as TF Serving fails such a load.
    """
    path = warmup_path(version_dir)
    if not tf.io.gfile.exists(path):
        return []
    try:
        records = [r.numpy() for r in tf.data.TFRecordDataset(path).take(MAX_WARMUP_RECORDS + 1)]
    except tf.errors.OpError as e:
        raise ValueError(f"The warm-up file {path} is not a readable TFRecord file: {e.message}") from None
    if len(records) > MAX_WARMUP_RECORDS:
        raise ValueError(f"Number of warmup records exceeds the maximum ({MAX_WARMUP_RECORDS}) at {path}.")
    logs = []
    for i, record in enumerate(records):
        try:
            logs.append(prediction_log_pb2.PredictionLog.FromString(record))
        except message.DecodeError:
            raise ValueError(f"Record {i} of the warm-up file {path} is not a PredictionLog.") from None
    return logs


def replay_warmup(servable, limits=None) -> int:
    """Runs a loaded version's warm-up requests through it, as TF Serving does on load.

    Args:
        servable: The `Servable`.
        limits: The server's `ServerLimits`.

    Returns:
        How many requests ran.

    Raises:
        ValueError: When the file is unreadable or a request fails; the load fails with it.
    """
    logs = read_warmup_requests(servable.path)
    for i, log in enumerate(logs):
        kind = log.WhichOneof("log_type")
        if kind != "predict_log":
            raise ValueError(f"Warm-up record {i} of version {servable.version} is a {kind}; the development "
                             "server replays predict_log records only (it does not serve Classify, Regress or "
                             "MultiInference).")
        try:
            servable.prepare(log.predict_log.request, limits).run()
        except Exception as e:  # noqa: BLE001  (RequestAbort or a TensorFlow error)
            message = getattr(e, "message", None) or str(e)
            raise ValueError(f"Warm-up request {i} of version {servable.version} failed: {message}") from None
    return len(logs)
