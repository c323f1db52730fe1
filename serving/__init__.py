"""Serving: TF Serving's files, a TF Serving-compatible development server, and clients.

Installed as `kerasknow.serving`. Production serves pushed models with the real
`tensorflow_model_server`; see docs/serving.md.

- Pushing (used by `KnowledgePusher`): `model_release.ModelRelease` (version folders, atomic
  staging, `models.config` labels, retention, rollback), `model_config_file.ModelConfigFile`,
  `warmup_requests`, `preflight` (with `preflight_probe.py` and `data/tf_serving_2.16_ops.txt`),
  `batching_parameters`, `serving_protos`.
- The development server `model_server.DevModelServer`, built from `model_versions`,
  `request_handlers`, `model_runner`, `grpc_api`, `rest_api`, `server_metrics`, `server_limits`.
- Clients: `prediction_client.PredictionClient` (gRPC) and
  `rest_prediction_client.RestPredictionClient` (REST), against either server; `formatting`.
"""
