"""Where the development server runs its models: a fixed pool of threads, fair to small requests,
batching concurrent requests when asked to.

Every Predict goes through a `ModelRunner`. A large request is cut into pieces of at most
`chunk_rows` rows (`max_batch_size` with batching) and keeps only one piece waiting at a time,
so a small request that arrives behind four large ones waits for about one piece of each, not
for all of them. With batching, pieces of concurrent requests for the same version, signature
and outputs are run as one call of up to `max_batch_size` rows, waiting at most
`batch_timeout_micros` for others to join, as TF Serving's batching session does. The queue is
bounded: a request that finds it full is answered UNAVAILABLE at once.
"""
import collections
import logging
import threading
import time
from typing import Dict, List, Optional, Sequence

import grpc
import numpy as np
import tensorflow as tf

from kerasknow.serving.batching_parameters import BatchingParameters
from kerasknow.serving.predict_request import RequestAbort
from kerasknow.serving.prepared_predict import PreparedPredict, run_signature

logger = logging.getLogger("kerasknow.serving.model_server")

DEFAULT_CHUNK_ROWS = 64


class _Task:
    __slots__ = ("prepared", "rows", "key", "enqueued", "done", "result", "error")

    def __init__(self, prepared: PreparedPredict, rows: Optional[int], key):
        self.prepared = prepared
        self.rows = rows
        self.key = key
        self.enqueued = time.monotonic()
        self.done = threading.Event()
        self.result: Optional[Dict[str, np.ndarray]] = None
        self.error: Optional[BaseException] = None


class ModelRunner:
    """Runs `PreparedPredict`s on `threads` threads, piece by piece, optionally batched.

    Args:
        threads: Threads that run model calls (one per CPU core is TF Serving's default).
        batching: `BatchingParameters` to batch concurrent requests; None runs each piece alone.
        chunk_rows: Without batching, the most rows of one request run in one call.
        max_queued: Pieces that may wait without batching (with batching:
            `max_enqueued_batches * max_batch_size` rows' worth of pieces).
        metrics: Optional `ServerMetrics` that records batch sizes.

    Raises:
        ValueError: For `threads` or `chunk_rows` below 1.
    """

    def __init__(self, threads: int = 1, batching: Optional[BatchingParameters] = None,
                 chunk_rows: int = DEFAULT_CHUNK_ROWS, max_queued: int = 64, metrics=None):
        if threads < 1 or chunk_rows < 1 or max_queued < 1:
            raise ValueError(f"threads, chunk_rows and max_queued must be >= 1. Received: threads={threads}, "
                             f"chunk_rows={chunk_rows}, max_queued={max_queued}.")
        self.batching = batching
        self.threads = batching.threads if batching is not None else threads
        self.chunk_rows = batching.max_batch_size if batching is not None else chunk_rows
        self.max_queued = batching.max_enqueued_batches * batching.max_batch_size if batching else max_queued
        self.metrics = metrics
        self._queue: "collections.deque[_Task]" = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self._workers = [threading.Thread(target=self._work, name=f"devserve-model-{i}", daemon=True)
                         for i in range(self.threads)]
        for worker in self._workers:
            worker.start()

    # ------------------------------------------------------------------------------ public

    def run(self, prepared: PreparedPredict) -> Dict[str, np.ndarray]:
        """Runs one request (in pieces, perhaps batched with others) and returns its outputs.

        Raises:
            RequestAbort: UNAVAILABLE when the queue is full or the runner stopped; the model's
                own error otherwise.
        """
        rows = prepared.rows
        if rows is None or rows <= self.chunk_rows:
            return self._submit(prepared, rows).result
        pieces = []
        for start in range(0, rows, self.chunk_rows):
            piece = PreparedPredict(prepared.servable, prepared.signature_name, prepared.function,
                                    {k: t[start:start + self.chunk_rows] for k, t in prepared.tensors.items()},
                                    prepared.outputs)
            pieces.append(self._submit(piece, min(self.chunk_rows, rows - start)).result)
        return {alias: concat_padded([p[alias] for p in pieces]) for alias in prepared.outputs}

    def stop(self) -> None:
        """Finishes the queued pieces, then stops the threads. Idempotent."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for worker in self._workers:
            worker.join(timeout=30)

    # ---------------------------------------------------------------------------- internal

    def _key(self, prepared: PreparedPredict):
        pad = self.batching is not None and self.batching.pad_variable_length_inputs
        inputs = tuple(sorted((alias, t.dtype.name, t.shape.rank if pad else tuple(t.shape[1:]))
                              for alias, t in prepared.tensors.items()))
        return id(prepared.servable), prepared.signature_name, tuple(prepared.outputs), inputs

    def _submit(self, prepared: PreparedPredict, rows: Optional[int]) -> _Task:
        task = _Task(prepared, rows, self._key(prepared) if self.batching is not None and rows else None)
        with self._cond:
            if self._stopping:
                raise RequestAbort(grpc.StatusCode.UNAVAILABLE, "The server is shutting down.")
            if len(self._queue) >= self.max_queued:
                raise RequestAbort(grpc.StatusCode.UNAVAILABLE,
                                   f"The batch scheduling queue to which this task was submitted is full "
                                   f"({len(self._queue)} waiting). Retry later, or raise max_enqueued_batches.")
            self._queue.append(task)
            self._cond.notify_all()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task

    def _take(self) -> Optional[List[_Task]]:
        """The next tasks to run together (the oldest and, with batching, those that can join it)."""
        with self._cond:
            while True:
                if not self._queue:
                    if self._stopping:
                        return None
                    self._cond.wait()
                    continue
                first = self._queue[0]
                if first.key is None:
                    self._queue.popleft()
                    self._cond.notify_all()
                    return [first]
                limit = self.batching.max_batch_size
                batch, rows = [], 0
                for task in self._queue:
                    if task.key == first.key and rows + task.rows <= limit:
                        batch.append(task)
                        rows += task.rows
                wait = first.enqueued + self.batching.batch_timeout_micros / 1e6 - time.monotonic()
                if rows >= limit or wait <= 0 or self._stopping:
                    for task in batch:
                        self._queue.remove(task)
                    self._cond.notify_all()
                    return batch
                self._cond.wait(wait)

    def _work(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                results = self._run_batch(batch)
                for task, result in zip(batch, results):
                    task.result = result
            except BaseException as e:  # noqa: BLE001  (delivered to the waiting request threads)
                for task in batch:
                    task.error = e
            finally:
                for task in batch:
                    task.done.set()

    def _run_batch(self, batch: Sequence[_Task]) -> List[Dict[str, np.ndarray]]:
        first = batch[0].prepared
        sizes = [task.rows for task in batch]
        total = sum(size or 0 for size in sizes)
        if self.batching is not None and self.metrics is not None:
            self.metrics.record_batch(first.servable, len(batch), total)
        if len(batch) == 1 and not (self.batching and self.batching.allowed_batch_sizes and total):
            return [first.run()]
        padded = next((s for s in self.batching.allowed_batch_sizes if s >= total), total)
        tensors = {}
        for alias in first.tensors:
            arrays = [task.prepared.tensors[alias].numpy() for task in batch]
            merged = concat_padded(arrays)
            if padded > total:  # TF Serving pads a batch up to an allowed size with copies of a row
                merged = np.concatenate([merged, np.repeat(merged[:1], padded - total, axis=0)])
            tensors[alias] = tf.constant(merged, dtype=first.tensors[alias].dtype)
        outputs = run_signature(first.function, tensors, first.outputs)
        results, start = [], 0
        for size in sizes:
            results.append({alias: _rows(alias, value, start, size, padded) for alias, value in outputs.items()})
            start += size
        return results


def _rows(alias: str, value: np.ndarray, start: int, size: int, total: int) -> np.ndarray:
    if value.ndim == 0 or value.shape[0] != total:
        raise RequestAbort(grpc.StatusCode.INTERNAL,
                           f"Batched output tensor {alias!r} has shape {list(value.shape)}, without the batch's "
                           f"{total} rows in dimension 0, so it cannot be split per request. Fix: serve this "
                           "signature without --enable-batching.")
    return value[start:start + size]


def concat_padded(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenates along dimension 0, padding the other dimensions to the largest (zeros, or
    empty strings for string arrays), as per-batch padded outputs (NER's entity lists) need.

    Example:

    >>> concat_padded([np.array([[1, 2]]), np.array([[3]])]).tolist()
    [[1, 2], [3, 0]]
    """
    if len(arrays) == 1:
        return arrays[0]
    rank = arrays[0].ndim
    if rank == 0 or any(a.ndim != rank for a in arrays):
        return np.concatenate(arrays)
    widest = [max(a.shape[d] for a in arrays) for d in range(1, rank)]
    parts = []
    for array in arrays:
        pad = [(0, 0)] + [(0, w - s) for w, s in zip(widest, array.shape[1:])]
        if any(after for _, after in pad):
            fill = b"" if array.dtype == object else 0
            array = np.pad(array, pad, constant_values=fill)
        parts.append(array)
    return np.concatenate(parts)
