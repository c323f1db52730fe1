"""Text preprocessing that runs inside the TensorFlow graph (and so inside TF Serving)."""
