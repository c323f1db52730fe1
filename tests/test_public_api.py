import pytest

import kerasknow


def test_every_public_name_resolves():
    for name in kerasknow.__all__:
        assert getattr(kerasknow, name) is not None, name
    assert kerasknow.get_task_family("ner").name == "ner"
    assert kerasknow.RunConfig().task == "text-classification"


def test_keras_objects_are_registered_serializable():
    import tensorflow as tf

    for name in ("ImageAugmentation", "BackbonePreprocess", "LinearWarmupDecay", "HashDropout"):
        cls = getattr(kerasknow, name)
        assert tf.keras.saving.get_registered_name(cls) == f"kerasknow>{cls.__name__}", name


def test_unknown_name():
    with pytest.raises(AttributeError, match="module 'kerasknow' has no attribute 'nope'"):
        kerasknow.nope  # noqa: B018
