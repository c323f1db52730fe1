"""TF Serving's Predict, GetModelMetadata and GetModelStatus on request protos, for every API.

The gRPC servicers (`grpc_api.py`) and the REST handler (`rest_api.py`) both call these with
protos, so one set of rules and messages answers both, as in `tensorflow_model_server`.
"""
import time
from typing import Callable, Dict, Mapping, Optional

import grpc
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2

from kerasknow.serving.model_versions import ModelVersions
from kerasknow.serving.predict_request import RequestAbort
from kerasknow.serving.server_limits import ServerLimits


class RequestHandlers:
    """Answers Predict, GetModelMetadata and GetModelStatus over a set of models.

    Args:
        models: Model name -> its `ModelVersions`. The mapping may be replaced later with
            `set_models` (a reloaded model config).
        runner: The `ModelRunner` Predict calls run on (set before the first Predict).
        limits: The `ServerLimits` requests are held to.
        metrics: Optional `ServerMetrics` that counts requests and their latency.
    """

    def __init__(self, models: Mapping[str, ModelVersions], runner=None,
                 limits: Optional[ServerLimits] = None, metrics=None):
        self._models: Dict[str, ModelVersions] = dict(models)
        self.runner = runner
        self.limits = limits or ServerLimits()
        self.metrics = metrics

    @property
    def models(self) -> Dict[str, ModelVersions]:
        return self._models

    def set_models(self, models: Mapping[str, ModelVersions]) -> None:
        self._models = dict(models)

    def model(self, name: str, latest_wording: bool = True) -> ModelVersions:
        """The named model's versions.

        Raises:
            RequestAbort: NOT_FOUND for a model this server does not serve.
        """
        models = self._models
        if name not in models:
            served = ", ".join(f"{n!r} ({_loaded(m)})" for n, m in sorted(models.items())) or "none"
            message = (f"Servable not found for request: Latest({name})" if latest_wording
                       else f"Could not find any versions of model {name}")
            raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"{message}. This server serves models: {served}.")
        return models[name]

    # ----------------------------------------------------------------------------- Predict

    def measured(self, api: str, entrypoint: str, model_name: str, answer: Callable):
        """Runs `answer(resolved)` and records its status and latency; `answer` puts the version
        it resolved in `resolved["version"]`."""
        start = time.perf_counter()
        status, resolved = "OK", {}
        try:
            return answer(resolved)
        except RequestAbort as e:
            status = e.code.name
            raise
        finally:
            if self.metrics is not None:
                self.metrics.record_request(model_name, api, entrypoint, status, time.perf_counter() - start,
                                            version=resolved.get("version"))

    def predict(self, request, entrypoint: str = "GRPC"):
        """Answers a `PredictRequest` with a `PredictResponse`.

        Args:
            request: The request proto.
            entrypoint: `"GRPC"` or `"REST"`, for the metrics.

        Raises:
            RequestAbort: With TF Serving's status code and message.
        """
        return self.measured("predict", entrypoint, request.model_spec.name,
                             lambda resolved: self.answer_predict(request, resolved))

    def answer_predict(self, request, resolved: Dict):
        """Predict without the metrics (the REST API measures its JSON decoding too)."""
        size = request.ByteSize()
        if size > self.limits.max_request_bytes:
            raise RequestAbort(grpc.StatusCode.INVALID_ARGUMENT,
                               f"The request is {size} bytes, over this server's limit of "
                               f"{self.limits.max_request_bytes} bytes "
                               f"({ServerLimits.FLAGS['max_request_bytes']}). Fix: send smaller batches.")
        servable = self.model(request.model_spec.name).resolve(request.model_spec)
        resolved["version"] = servable.version
        prepared = servable.prepare(request, self.limits)
        return prepared.response(self.runner.run(prepared), request.model_spec.name)

    # -------------------------------------------------------------------- GetModelMetadata

    def get_model_metadata(self, request, entrypoint: str = "GRPC"):
        """Answers a `GetModelMetadataRequest` (`signature_def` only, as TF Serving)."""
        return self.measured("get_model_metadata", entrypoint, request.model_spec.name,
                             lambda resolved: self._metadata(request, resolved))

    def _metadata(self, request, resolved):
        servable = self.model(request.model_spec.name).resolve(request.model_spec)
        resolved["version"] = servable.version
        if not request.metadata_field:
            raise RequestAbort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "GetModelMetadataRequest must specify at least one metadata_field (e.g. 'signature_def').",
            )
        for field in request.metadata_field:
            if field != "signature_def":
                raise RequestAbort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Metadata field {field} is not supported. Supported: signature_def.",
                )
        signature_map = get_model_metadata_pb2.SignatureDefMap()
        for name, signature_def in servable.signature_defs.items():
            signature_map.signature_def[name].CopyFrom(signature_def)
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(signature_map)
        return response

    # ---------------------------------------------------------------------- GetModelStatus

    def get_model_status(self, request, entrypoint: str = "GRPC"):
        """Answers a `GetModelStatusRequest` with every version's state (or the one asked for)."""
        return self.measured("get_model_status", entrypoint, request.model_spec.name,
                             lambda resolved: self._status(request))

    def _status(self, request):
        name = request.model_spec.name
        versions = self.model(name, latest_wording=False)
        states = versions.states()
        if not states:
            raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"Could not find any versions of model {name}")
        choice = request.model_spec.WhichOneof("version_choice")
        if choice == "version_label":
            wanted: Optional[int] = versions.label_version(request.model_spec.version_label)
        elif choice == "version":
            wanted = request.model_spec.version.value
        else:
            wanted = None
        if wanted is not None:
            if wanted not in states:
                raise RequestAbort(grpc.StatusCode.NOT_FOUND, f"Could not find version {wanted} of model {name}")
            states = {wanted: states[wanted]}
        response = get_model_status_pb2.GetModelStatusResponse()
        state_enum = get_model_status_pb2.ModelVersionStatus.State
        for version in sorted(states):
            state, error = states[version]
            entry = response.model_version_status.add()
            entry.version = version
            entry.state = state_enum.Value(state)
            entry.status.SetInParent()  # error_code OK, as TF Serving reports a healthy version
            if error:
                entry.status.error_code = 2  # tensorflow.error.UNKNOWN
                entry.status.error_message = error
        return response


def _loaded(models: ModelVersions) -> str:
    versions = models.loaded_versions
    return f"loaded: {', '.join(map(str, versions))}" if versions else "no version loaded yet"
