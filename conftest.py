"""Fixtures shared by tests/ and components/*/*_test.py (kerasknow is imported first: it sets TF_USE_LEGACY_KERAS)."""
import kerasknow  # noqa: F401

import os
import random

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _seed():
    random.seed(0)
    np.random.seed(0)
    yield


@pytest.fixture(scope="session")
def _session_policy():
    """The mixed-precision policy the test session started with (float32)."""
    import tensorflow as tf

    return tf.keras.mixed_precision.global_policy().name


@pytest.fixture(autouse=True)
def _global_policy(_session_policy):
    """Every test starts and ends with the session's starting mixed-precision policy, and a test
    whose fixtures left another one fails: a pipeline step run in this process sets the policy
    (mixed_bfloat16 on a CPU with AMX-BF16) and must give it back (`keeping_global_policy`), or
    every later test's float32 layers compute in bfloat16. Module and session fixtures run before
    this check, so it sees what they leave; restoring the policy after a test alone would hide
    their leak from every test after their first user."""
    import tensorflow as tf

    left = tf.keras.mixed_precision.global_policy().name
    tf.keras.mixed_precision.set_global_policy(_session_policy)
    assert left == _session_policy, (
        f"A fixture of this test left the global mixed-precision policy at {left!r}; expected the session's "
        f"{_session_policy!r}. Run what sets it inside kerasknow.training.hardware_plan.keeping_global_policy().")
    yield
    tf.keras.mixed_precision.set_global_policy(_session_policy)


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory):
    """A tiny BERT checkpoint directory (config, vocab, TF weights) built from MiniLM's vocab."""
    from kerasknow.testing import make_tiny_bert_checkpoint

    return make_tiny_bert_checkpoint(str(tmp_path_factory.mktemp("tiny_bert")))


def pytest_collection_modifyitems(config, items):
    if not any("gpu" in item.keywords for item in items):
        return
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return
    skip = pytest.mark.skip(reason="needs a GPU; none is visible to TensorFlow")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_backbone_weights(tmp_path_factory):
    """A weights file for `kerasknow.testing.TINY_BACKBONE`: stands for pretrained weights (frozen, phased)."""
    from kerasknow.testing import make_tiny_backbone_weights

    return make_tiny_backbone_weights(str(tmp_path_factory.mktemp("tiny_backbone") / "weights.h5"))
