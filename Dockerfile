# kerasknow's container image for Kubeflow Pipelines and Vertex AI Pipelines: the locked stack
# (requirements/lock.txt, installed by tools/setup_env.sh exactly as on a workstation), the
# offline data and weights packages, and kerasknow. Every task of a compiled pipeline runs
# `python -m tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor` in it.
#
#   docker build -t REGISTRY/kerasknow:0.1.0 .
#   docker push REGISTRY/kerasknow:0.1.0
#   kerasknow compile --kubeflow pipeline.yaml --image REGISTRY/kerasknow:0.1.0 ...
#
# docs/kubeflow.md has the whole path; GPU images: see "GPUs" there.
FROM python:3.11-slim-bookworm

# Set before any TensorFlow import: the entrypoint imports TFX (and TensorFlow) before kerasknow.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_USE_LEGACY_KERAS=1 \
    HF_HUB_OFFLINE=1 \
    KERASKNOW_CACHE=/tmp/kerasknow-cache

WORKDIR /kerasknow
# The lock first, so a change to kerasknow's code rebuilds only the last layers.
COPY requirements/ requirements/
RUN python -m venv .venv \
    && .venv/bin/python -m pip --disable-pip-version-check -q install --no-deps --ignore-requires-python \
       -r requirements/lock.txt \
    && .venv/bin/python -m pip --disable-pip-version-check -q install --no-deps -r requirements/data.txt
COPY . .
# setup_env.sh finds the locked stack installed, installs kerasknow and runs `pip check`.
RUN bash tools/setup_env.sh --no-system && .venv/bin/kerasknow --version
ENV PATH=/kerasknow/.venv/bin:$PATH
