#!/usr/bin/env bash
# The GPU check in one command: offline install from the carried bundle,
# then every GPU measurement (tools/gpu_check.py has the steps), writing
# OUT_DIR/gpu_check.json (rewritten after each step) and OUT_DIR/gpu_check.log.
#
#   bash tools/gpu_check.sh OUT_DIR [--bundle bundle] [--data DIR] [--budget-s 570]
#   bash tools/gpu_check.sh OUT_DIR --cpu-smoke   # the same steps, tiny, on CPU
#
# The script itself needs only the standard library of python3 (the
# machine's Python, which holds torch); the steps run in .venv.
set -euo pipefail
if [[ $# -lt 1 || $1 == -* ]]; then
  echo "usage: bash tools/gpu_check.sh OUT_DIR [--cpu-smoke] [--bundle DIR] [--data DIR] [--budget-s S]" >&2
  exit 2
fi
export PYTHONUNBUFFERED=1
exec "${PYTHON:-python3}" "$(dirname "${BASH_SOURCE[0]}")/gpu_check.py" "$@"
