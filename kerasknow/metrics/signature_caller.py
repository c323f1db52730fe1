"""One way to call a model's serving signatures, local or served, for the evaluation code.

A `SignatureCaller` is `call(signature_name, {input_name: numpy array}) -> {output_name: numpy
array}`. The pipeline's evaluator calls the exported SavedModel in process
(`saved_model_caller`); `kerasknow evaluate` calls a model that TF Serving serves, over gRPC
(`kerasknow.serving.grpc_predict.GrpcPredictor.caller`). The scoring code is the same for both,
so the two print the same metrics for the same model and data.
"""
from typing import Callable, Dict, Union

import numpy as np

SignatureCaller = Callable[[str, Dict[str, np.ndarray]], Dict[str, np.ndarray]]


def saved_model_caller(saved_model_dir: str) -> SignatureCaller:
    """Calls the signatures of the SavedModel in `saved_model_dir`, in this process."""
    import tensorflow as tf
    import tensorflow_text  # noqa: F401  (registers the tokenizer ops text SavedModels use)

    loaded = tf.saved_model.load(saved_model_dir)

    def call(signature_name: str, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        out = loaded.signatures[signature_name](**{k: tf.constant(v) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in out.items()}

    return call


def as_caller(model: Union[str, SignatureCaller]) -> SignatureCaller:
    """`model` itself when it is a `SignatureCaller`, else the caller of the SavedModel folder it names."""
    return model if callable(model) else saved_model_caller(model)
