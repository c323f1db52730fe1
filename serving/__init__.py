"""Serving: a TF Serving-compatible development server, a gRPC client and output formatting.

Installed as `kerasknow.serving`. Production serves pushed models with the real
`tensorflow_model_server`; `DevModelServer` (`kerasknow.serving.model_server`) speaks the same
gRPC API for development and tests, and `PredictionClient`
(`kerasknow.serving.prediction_client`) works unchanged against either. See docs/serving.md.
"""
