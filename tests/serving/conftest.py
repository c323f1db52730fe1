"""Fixtures for the serving tests: toy SavedModels and a running DevModelServer."""
import kerasknow  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import pytest
from serving_toys import MODEL_NAME, RULES, push_version, save_toy_model


@pytest.fixture(scope="session")
def toy_templates(tmp_path_factory):
    """{version: SavedModel dir} for versions 1 and 2, built once."""
    root = tmp_path_factory.mktemp("toy_templates")
    return {v: save_toy_model(str(root / f"v{v}"), v) for v in RULES}


@pytest.fixture
def toy_base(tmp_path, toy_templates):
    """A model base path `<tmp>/toy` holding version 1."""
    base = tmp_path / MODEL_NAME
    base.mkdir()
    push_version(toy_templates[1], str(base), 1)
    return str(base)


@pytest.fixture(scope="module")
def served_toy(tmp_path_factory, toy_templates):
    """A DevModelServer on 127.0.0.1 serving version 1 of `toy`; yields (server, target)."""
    from kerasknow.serving.model_server import DevModelServer

    base = tmp_path_factory.mktemp("served") / MODEL_NAME
    base.mkdir()
    push_version(toy_templates[1], str(base), 1)
    server = DevModelServer(str(base), MODEL_NAME, port=0, poll_seconds=0.2, version_labels={"stable": 1})
    try:
        port = server.start()
        yield server, f"127.0.0.1:{port}"
    finally:
        server.stop(grace=0)


@pytest.fixture
def make_server():
    """Builds DevModelServers of `toy` on 127.0.0.1:0 (polling every 0.1 s) and stops every one
    of them afterwards."""
    from kerasknow.serving.model_server import DevModelServer

    servers = []

    def make(base, **kwargs):
        kwargs.setdefault("port", 0)
        kwargs.setdefault("poll_seconds", 0.1)
        server = DevModelServer(base, MODEL_NAME, **kwargs)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop(grace=0)
