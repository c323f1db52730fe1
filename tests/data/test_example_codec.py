import pytest

from kerasknow.data.example_codec import decode_example, encode_features


def test_round_trip_of_every_kind():
    ex = encode_features({"text": "héllo", "tokens": ["a", "b"], "n": 3, "scores": [0.5, 1.5], "raw": b"\x00\xff"})
    back = decode_example(ex.SerializeToString())
    assert back["text"] == ["héllo".encode()]
    assert back["tokens"] == [b"a", b"b"]
    assert back["n"] == [3]
    assert back["scores"] == pytest.approx([0.5, 1.5])
    assert back["raw"] == [b"\x00\xff"]


def test_mixed_types_are_refused():
    with pytest.raises(TypeError, match="Feature 'bad' must hold str, bytes, int or float values of one type"):
        encode_features({"bad": ["a", 1]})
