#!/usr/bin/env bash
# The main job: installs what is missing, then runs `kerasknow demo` (extra args are passed on,
# e.g. `bash tools/demo.sh --task ner`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
exec .venv/bin/kerasknow demo "$@"
