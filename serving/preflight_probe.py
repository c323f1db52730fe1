"""The preflight's child process: a SavedModel as `tensorflow_model_server` would meet it.

Run as a script (`python -I preflight_probe.py '<json arguments>'`), never imported: it imports
only the standard library, `tensorflow` and `tensorflow_text` (the model server links core
TensorFlow and tensorflow-text's ops, nothing else), so a model that needs kerasknow,
transformers or Keras objects to load fails here as it would in production. It reads the
warm-up file with a small protobuf wire reader instead of `tensorflow_serving`'s classes, for
the same reason.

Arguments (JSON): `saved_model`, `ops_file`, `signature`, `inputs` (name -> dtype name),
`outputs_file` (where the warm-up answers go: records of `name NUL TensorProto`),
`timing_calls`. Prints one JSON line: `problems` (empty when the model passes), `ops`,
`signatures`, `warmup`, `latency_ms`, `versions`, `foreign_modules`.
"""
import json
import os
import statistics
import sys
import time

# Modules that must not be needed to serve the model (checked after loading it).
FOREIGN = ("kerasknow", "transformers", "tf_keras", "keras_tuner", "tfx", "tensorflow_serving")
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def _varint(buf: bytes, i: int):
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def wire_fields(buf: bytes):
    """Yields `(field number, value)` of a serialized protobuf message (bytes for length-delimited)."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value, i = buf[i:i + size], i + size
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, value


def predict_request_of(log: bytes):
    """`(signature name, {input: TensorProto bytes})` of a PredictionLog's predict_log, or None.

    PredictionLog.predict_log = 6 -> PredictLog.request = 1 -> PredictRequest.model_spec = 1
    (ModelSpec.signature_name = 3), PredictRequest.inputs = 2 (map entry: key = 1, value = 2).
    """
    for number, value in wire_fields(log):
        if number != 6:
            continue
        for n, request in wire_fields(value):
            if n != 1:
                continue
            signature, inputs = "", {}
            for field, part in wire_fields(request):
                if field == 1:
                    signature = next((v.decode("utf-8") for f, v in wire_fields(part) if f == 3), signature)
                elif field == 2:
                    entry = dict(wire_fields(part))
                    inputs[entry.get(1, b"").decode("utf-8")] = entry.get(2, b"")
            return signature, inputs
    return None


def main(args: dict) -> dict:
    result = {"problems": [], "ops": {}, "signatures": [], "warmup": {}, "latency_ms": {}, "versions": {}}
    problems = result["problems"]
    started = time.perf_counter()
    import tensorflow as tf
    import tensorflow_text
    from tensorflow.core.framework import tensor_pb2
    from tensorflow.core.protobuf import saved_model_pb2

    result["versions"] = {"tensorflow": tf.__version__, "tensorflow_text": tensorflow_text.__version__}
    result["import_seconds"] = round(time.perf_counter() - started, 2)
    path = args["saved_model"]

    saved_model = saved_model_pb2.SavedModel()
    with tf.io.gfile.GFile(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    graphs = [m for m in saved_model.meta_graphs if "serve" in m.meta_info_def.tags]
    if not graphs:
        problems.append("The SavedModel has no meta graph tagged 'serve', which TF Serving loads.")
        return result
    graph = graphs[0]
    used = {n.op for n in graph.graph_def.node}
    for function in graph.graph_def.library.function:
        used |= {n.op for n in function.node_def}
    with open(args["ops_file"], encoding="utf-8") as f:
        shipped = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    missing = sorted(used - shipped)
    result["ops"] = {"used": len(used), "not_in_tf_serving": missing}
    if missing:
        problems.append(f"The graph uses op(s) TF Serving 2.16 does not ship: {', '.join(missing)} (list: "
                        f"{os.path.basename(args['ops_file'])}).")

    signatures = dict(graph.signature_def)
    result["signatures"] = sorted(k for k in signatures if not k.startswith("__"))
    wanted = args["signature"]
    if wanted not in signatures:
        problems.append(f"The SavedModel has no {wanted!r} signature; it has {result['signatures']}.")
    else:
        declared = {k: tf.dtypes.as_dtype(v.dtype).name for k, v in signatures[wanted].inputs.items()}
        if declared != args["inputs"]:
            problems.append(f"Signature {wanted!r} takes {declared}; the task family sends {args['inputs']}.")

    started = time.perf_counter()
    try:
        model = tf.saved_model.load(path, tags=["serve"])
    except Exception as e:  # noqa: BLE001  (the reason is the report)
        problems.append(f"Loading the SavedModel with only tensorflow and tensorflow_text failed: "
                        f"{type(e).__name__}: {' '.join(str(e).split())[:600]}")
        return result
    result["load_seconds"] = round(time.perf_counter() - started, 2)
    result["foreign_modules"] = sorted(m for m in FOREIGN if m in sys.modules)
    if result["foreign_modules"]:
        problems.append(f"Loading needed modules TF Serving does not have: {result['foreign_modules']}.")

    warmup = os.path.join(path, WARMUP_FILE)
    requests = []
    if tf.io.gfile.exists(warmup):
        for i, record in enumerate(tf.data.TFRecordDataset(warmup)):
            parsed = predict_request_of(record.numpy())
            if parsed is None:
                problems.append(f"Warm-up record {i} is not a PredictionLog with a predict_log.")
                continue
            requests.append(parsed)
    result["warmup"] = {"requests": len(requests)}
    if len(requests) > 1000:
        problems.append(f"The warm-up file has {len(requests)} records; TF Serving refuses more than 1000.")
    first_inputs = None
    with tf.io.TFRecordWriter(args["outputs_file"]) as writer:
        for i, (signature, inputs) in enumerate(requests):
            try:
                function = model.signatures[signature or "serving_default"]
                tensors = {k: tf.constant(tf.make_ndarray(tensor_pb2.TensorProto.FromString(v)))
                           for k, v in inputs.items()}
                outputs = function(**tensors)
            except Exception as e:  # noqa: BLE001
                problems.append(f"Warm-up request {i} failed: {type(e).__name__}: {' '.join(str(e).split())[:400]}")
                continue
            if first_inputs is None and signature in ("", wanted):
                first_inputs = tensors
            for name, value in sorted(outputs.items()):
                writer.write(name.encode("utf-8") + b"\0" + tf.make_tensor_proto(value.numpy()).SerializeToString())

    if first_inputs is not None and wanted in model.signatures:
        function = model.signatures[wanted]
        for batch in (1, 16):
            tensors = {k: tf.repeat(v[:1], batch, axis=0) for k, v in first_inputs.items()}
            function(**tensors)  # the first call of a shape traces
            times = []
            for _ in range(args["timing_calls"]):
                start = time.perf_counter()
                function(**tensors)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            result["latency_ms"][f"batch_{batch}"] = {
                "p50": round(statistics.median(times), 2),
                "p99": round(times[min(len(times) - 1, int(round(0.99 * (len(times) - 1))))], 2),
                "calls": len(times)}
    return result


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
