#!/usr/bin/env bash
# Create .venv at the repository root and install the pinned OpenMMLab stack.
#
# Idempotent: a stamp file records the hash of this script and of
# requirements/*.txt; when nothing changed a second run returns at once.
# The first run compiles mmcv 2.1.0 with its CPU ops from source (about
# 15 minutes on 2 cores); pip's wheel cache makes later runs take seconds.
#
# Where .venv already holds a torch (for example a CUDA build on a GPU
# machine) it is kept and the matching torchvision is chosen.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
REQ="$ROOT/requirements"
STAMP="$VENV/.ceph_landmarks_installed"
PYTHON="${PYTHON:-python3}"

stamp_hash() {
  cat "$ROOT/tools/install.sh" "$REQ"/*.txt "$ROOT/setup.py" | sha256sum | cut -d' ' -f1
}

if [[ -x "$PY" && -f "$STAMP" && "$(cat "$STAMP")" == "$(stamp_hash)" ]]; then
  echo "[install] .venv is up to date ($VENV)"
  exit 0
fi

start=$(date +%s)
[[ -x "$PY" ]] || "$PYTHON" -m venv "$VENV"
PIP=("$PY" -m pip install --disable-pip-version-check -c "$REQ/constraints.txt")
"$PY" -m pip install --disable-pip-version-check -q "pip==25.3"

# 1. torch: keep an existing one, otherwise the pinned CPU build.
if "$PY" -c "import torch" 2>/dev/null; then
  TORCH_VER=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
  echo "[install] keeping installed torch $TORCH_VER"
else
  TORCH_VER=2.13.0
  "${PIP[@]}" "torch==$TORCH_VER"
fi
# torchvision 0.N pairs with torch 2.(N-15): 2.13 -> 0.28.
TV_MINOR=$(( $(echo "$TORCH_VER" | cut -d. -f2) + 15 ))
TORCHVISION_VER="0.${TV_MINOR}.0"

# 2. build tools (setuptools < 81 still ships pkg_resources, which mmcv's
#    setup.py and mmengine import).
"${PIP[@]}" setuptools wheel ninja numpy cython

# 3. mmcv with compiled CPU ops, from source (no wheel exists for this torch).
MAX_JOBS="${MAX_JOBS:-2}" MMCV_WITH_OPS=1 "${PIP[@]}" --no-build-isolation --no-deps mmcv==2.1.0

# 4. xtcocotools from source: the registry wheel is built against numpy 1.
"${PIP[@]}" --no-build-isolation --no-deps --no-binary xtcocotools xtcocotools

# 5. OpenMMLab packages without their declared dependencies (mmpose's
#    would pull chumpy, which does not build, and a CUDA torch).
"$PY" -m pip install --disable-pip-version-check --no-deps \
  mmengine==0.10.7 mmpose==1.3.2 mmdet==3.3.0 "torchvision==$TORCHVISION_VER"

# 6. runtime, test and lint dependencies, pinned.
"${PIP[@]}" -r "$REQ/runtime.txt" -r "$REQ/lint.txt"

# 7. the package itself, editable.
"$PY" -m pip install --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"

stamp_hash > "$STAMP"
echo "[install] done in $(( $(date +%s) - start )) s ($VENV)"
