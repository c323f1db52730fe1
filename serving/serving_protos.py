"""Message classes for the TF Serving config files `tensorflow-serving-api` does not ship.

`--batching_parameters_file` holds a `tensorflow.serving.BatchingParameters`
(`tensorflow_serving/servables/tensorflow/session_bundle_config.proto`) and
`--monitoring_config_file` a `tensorflow.serving.MonitoringConfig`
(`tensorflow_serving/config/monitoring_config.proto`), both in protobuf text format. The pip
package has neither, so their descriptors are declared here with TF Serving's field names,
numbers and types, in a private descriptor pool; files written and read with these classes are
the files `tensorflow_model_server` takes. (`models.config` is a `ModelServerConfig`, which
`tensorflow_serving.config.model_server_config_pb2` does ship.)
"""
import functools

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

_PACKAGE = "tensorflow.serving"
_INT64_VALUE = ".google.protobuf.Int64Value"
_STRING_VALUE = ".google.protobuf.StringValue"
_F = descriptor_pb2.FieldDescriptorProto

# (name, number, type, type_name, label): TF Serving 2.16's BatchingParameters fields 1-7.
_BATCHING_FIELDS = (
    ("max_batch_size", 1, _F.TYPE_MESSAGE, _INT64_VALUE, _F.LABEL_OPTIONAL),
    ("batch_timeout_micros", 2, _F.TYPE_MESSAGE, _INT64_VALUE, _F.LABEL_OPTIONAL),
    ("max_enqueued_batches", 3, _F.TYPE_MESSAGE, _INT64_VALUE, _F.LABEL_OPTIONAL),
    ("num_batch_threads", 4, _F.TYPE_MESSAGE, _INT64_VALUE, _F.LABEL_OPTIONAL),
    ("thread_pool_name", 5, _F.TYPE_MESSAGE, _STRING_VALUE, _F.LABEL_OPTIONAL),
    ("allowed_batch_sizes", 6, _F.TYPE_INT64, "", _F.LABEL_REPEATED),
    ("pad_variable_length_inputs", 7, _F.TYPE_BOOL, "", _F.LABEL_OPTIONAL),
)


@functools.lru_cache(maxsize=None)
def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)

    batching = descriptor_pb2.FileDescriptorProto(
        name="kerasknow/tensorflow_serving/session_bundle_config.proto", package=_PACKAGE, syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"])
    message = batching.message_type.add(name="BatchingParameters")
    for name, number, kind, type_name, label in _BATCHING_FIELDS:
        message.field.add(name=name, number=number, type=kind, type_name=type_name or None, label=label)
    pool.Add(batching)

    monitoring = descriptor_pb2.FileDescriptorProto(
        name="kerasknow/tensorflow_serving/monitoring_config.proto", package=_PACKAGE, syntax="proto3")
    prometheus = monitoring.message_type.add(name="PrometheusConfig")
    prometheus.field.add(name="enable", number=1, type=_F.TYPE_BOOL, label=_F.LABEL_OPTIONAL)
    prometheus.field.add(name="path", number=2, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
    config = monitoring.message_type.add(name="MonitoringConfig")
    config.field.add(name="prometheus_config", number=1, type=_F.TYPE_MESSAGE,
                     type_name=f".{_PACKAGE}.PrometheusConfig", label=_F.LABEL_OPTIONAL)
    pool.Add(monitoring)
    return pool


def message_class(name: str):
    """The message class of `tensorflow.serving.<name>` (`BatchingParameters`, `MonitoringConfig`).

    Example:

    >>> from google.protobuf import text_format
    >>> params = text_format.Parse("max_batch_size { value: 32 }", message_class("BatchingParameters")())
    >>> params.max_batch_size.value
    32
    """
    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(f"{_PACKAGE}.{name}"))


def monitoring_config_text(path: str = "/monitoring/prometheus/metrics") -> str:
    """The text of a `--monitoring_config_file` that serves Prometheus metrics at `path`.

    Example:

    >>> print(monitoring_config_text(), end="")
    prometheus_config {
      enable: true
      path: "/monitoring/prometheus/metrics"
    }
    """
    from google.protobuf import text_format

    config = message_class("MonitoringConfig")()
    config.prometheus_config.enable = True
    config.prometheus_config.path = path
    return text_format.MessageToString(config)
