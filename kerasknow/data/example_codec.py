"""tf.Example encoding and decoding for knowledge records.

Feature conventions shared by every family:
- text classification: `text` (bytes), `label` (bytes)
- NER: `tokens` (bytes list), `tags` (bytes list)
- images: `image` (encoded PNG/JPEG bytes), `label` (bytes), `image_sha256` (bytes)
"""
from typing import Any, Dict, List


def encode_features(features: Dict[str, Any]):
    """Builds a `tf.train.Example` from Python values.

    `str` values are UTF-8 encoded; `bytes` kept; `int`/`bool` -> int64; `float` -> float; lists
    of those likewise (an empty list becomes an empty bytes list).

    Args:
        features: Feature name to a value or a list of values of one type.

    Returns:
        A `tf.train.Example`.

    Raises:
        TypeError: For values of any other type.

    Example:

    >>> ex = encode_features({"text": "hello", "label": "greeting"})
    >>> decode_example(ex.SerializeToString())["label"]
    [b'greeting']
    """
    import tensorflow as tf

    feature = {}
    for name, value in features.items():
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if all(isinstance(v, (str, bytes)) for v in values):
            data = [v.encode("utf-8") if isinstance(v, str) else v for v in values]
            feature[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=data))
        elif all(isinstance(v, (bool, int)) for v in values):
            feature[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))
        elif all(isinstance(v, (float, int)) for v in values):
            feature[name] = tf.train.Feature(float_list=tf.train.FloatList(value=[float(v) for v in values]))
        else:
            raise TypeError(
                f"Feature {name!r} must hold str, bytes, int or float values of one type. "
                f"Received: {[type(v).__name__ for v in values][:5]}"
            )
    return tf.train.Example(features=tf.train.Features(feature=feature))


def decode_example(serialized: bytes) -> Dict[str, List[Any]]:
    """Decodes a serialised `tf.train.Example` to `{name: [values]}` (bytes stay bytes)."""
    import tensorflow as tf

    example = tf.train.Example.FromString(serialized)
    out: Dict[str, List[Any]] = {}
    for name, feat in example.features.feature.items():
        kind = feat.WhichOneof("kind")
        out[name] = list(getattr(feat, kind).value) if kind else []
    return out
