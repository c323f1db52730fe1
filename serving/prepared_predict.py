"""A checked Predict request, its inputs decoded, ready to run alone or inside a batch."""
import dataclasses
from typing import Any, Dict, List, Optional

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2

from kerasknow.serving.predict_request import RequestAbort

_GRPC_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


@dataclasses.dataclass
class PreparedPredict:
    """One Predict call on one servable: the signature, its decoded inputs and the outputs asked for.

    Args:
        servable: The `Servable` (model version) that runs it.
        signature_name: The resolved signature name.
        function: The signature's concrete function.
        tensors: Input alias -> tensor, of the signature's dtypes.
        outputs: The output aliases to return, in response order.
    """

    servable: Any
    signature_name: str
    function: Any
    tensors: Dict[str, tf.Tensor]
    outputs: List[str]

    @property
    def rows(self) -> Optional[int]:
        """The batch size the inputs share along dimension 0, or None when they share none
        (a scalar input, or inputs of different lengths); such a request is never batched."""
        sizes = {int(t.shape[0]) if t.shape.rank else None for t in self.tensors.values()}
        if len(sizes) != 1 or None in sizes:
            return None
        return sizes.pop()

    def run(self) -> Dict[str, np.ndarray]:
        """Runs the signature on this request's inputs alone.

        Returns:
            Output alias -> numpy array.

        Raises:
            RequestAbort: When TensorFlow fails the call, with its status code and message.
        """
        return run_signature(self.function, self.tensors, self.outputs)

    def response(self, arrays: Dict[str, np.ndarray], model_name: str):
        """The `PredictResponse` carrying `arrays`, the model name, version and signature."""
        response = predict_pb2.PredictResponse()
        response.model_spec.name = model_name
        response.model_spec.version.value = self.servable.version
        response.model_spec.signature_name = self.signature_name
        for alias in self.outputs:
            response.outputs[alias].CopyFrom(tf.make_tensor_proto(arrays[alias]))
        return response


def run_signature(function, tensors: Dict[str, tf.Tensor], outputs: List[str]) -> Dict[str, np.ndarray]:
    """Calls a signature function; TensorFlow errors become `RequestAbort` with their status code.

    Args:
        function: A SavedModel signature (concrete function).
        tensors: Input alias -> tensor.
        outputs: The output aliases to return.

    Returns:
        Output alias -> numpy array.
    """
    try:
        results = function(**tensors)
    except tf.errors.OpError as e:
        raise RequestAbort(_GRPC_CODE_BY_NUMBER.get(e.error_code, grpc.StatusCode.INTERNAL), e.message) from e
    return {alias: results[alias].numpy() for alias in outputs}
