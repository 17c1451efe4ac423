#!/usr/bin/env bash
# Download what `tools/install.sh --offline DIR` installs, for a machine
# without network access that already has torch, torchvision, numpy,
# opencv-python-headless, scipy, matplotlib, pillow, pyyaml, the ONNX
# packages (onnx, onnx-ir, onnxscript, onnxruntime: install.sh's
# ENV_MODULES, taken at the versions found) and the build tools (cython,
# ninja, a C++ compiler): a GPU machine's image, say.
#
# Usage (`make bundle` runs it):
#   PYTHON_VERSION=3.12 BUNDLE_DIR=bundle bash tools/make_bundle.sh
#
# BUNDLE_DIR (default bundle/) receives, at the versions pinned in
# requirements/:
# - wheels for CPython $PYTHON_VERSION on x86-64 Linux with glibc >=
#   $GLIBC_MAX (default 2.31): the OpenMMLab packages but mmcv, their
#   dependencies that such an image lacks, setuptools 80.9.0 (the last with
#   pkg_resources, which mmcv's setup.py and mmengine import) and pydicom
#   with the JPEG 2000 decoder (the tests write DICOM files);
# - the sdists of mmcv and xtcocotools, which the offline install compiles;
# - requirements.txt, one name==version line per file, and README, whose
#   python_version= line names the target Python.
# Left out for size (the bundle stays under 15 MB): SimpleITK (the CL-Detection
# 2023 converter, 50 MB), pylibjpeg-libjpeg (3 MB; DICOM JPEG-LS, while
# Pillow decodes baseline JPEG) and the ONNX packages (onnxruntime alone is
# 27 MB), which come from the environment.
#
# Needs network access and a python3 with pip (.venv's when there is one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/requirements"
PYTHON_VERSION="${PYTHON_VERSION:-3.12}"
BUNDLE_DIR="${BUNDLE_DIR:-$ROOT/bundle}"
GLIBC_MAX="${GLIBC_MAX:-2.31}"
WHEELS=(mmengine mmpose mmdet addict yapf platformdirs termcolor json-tricks
  munkres terminaltables shapely pycocotools setuptools pydicom pylibjpeg
  pylibjpeg-openjpeg)
SDISTS=(mmcv xtcocotools)
TARGET_MB=15

log() { echo "[bundle] $*"; }
die() {
  echo "[bundle] error: $*" >&2
  exit 1
}

# NAME==VERSION as pinned in requirements/ (names compared as pip does).
pin() {
  local want line
  want=$(normalise "$1")
  while IFS= read -r line; do
    if [[ "$(normalise "${line%%==*}")" == "$want" ]]; then
      echo "$line"
      return
    fi
  done < <(grep -h '^[A-Za-z0-9].*==' "$REQ"/openmmlab.txt "$REQ"/runtime.txt \
    "$REQ"/constraints.txt)
  die "$1 is pinned in none of requirements/{openmmlab,runtime,constraints}.txt"
}

# A distribution name as pip compares it: lower case, runs of -_. as one -.
normalise() {
  echo "$1" | tr 'A-Z' 'a-z' | sed -E 's/[-_.]+/-/g'
}

# The Python whose pip downloads: .venv's if any, else python3.
pick_python() {
  if [[ -x "$ROOT/.venv/bin/python" ]]; then
    echo "$ROOT/.venv/bin/python"
  else
    echo "${PYTHON:-python3}"
  fi
}

# --platform options for every manylinux tag up to glibc $GLIBC_MAX (pip
# matches each tag exactly).
platform_options() {
  local minor max=${GLIBC_MAX#2.}
  echo --platform manylinux1_x86_64 --platform manylinux2010_x86_64 \
    --platform manylinux2014_x86_64
  for ((minor = 17; minor <= max; minor++)); do
    echo --platform "manylinux_2_${minor}_x86_64"
  done
}

# A Python that can prepare the sdists' metadata without build isolation
# (xtcocotools' setup.py imports numpy, mmcv's imports pkg_resources, and
# either needs bdist_wheel): $1 when it can, else a throwaway venv under $2
# with setuptools 80.9.0 and numpy.
sdist_python() {
  local py=$1 tmp=$2
  if "$py" -c '
import numpy, pkg_resources
from importlib.util import find_spec
assert find_spec("setuptools.command.bdist_wheel") or find_spec("wheel")
' 2>/dev/null; then
    echo "$py"
    return
  fi
  python3 -m venv "$tmp/sdist_env" >&2
  "$tmp/sdist_env/bin/python" -m pip install -q "$(pin setuptools)" numpy >&2
  echo "$tmp/sdist_env/bin/python"
}

# requirements.txt: name==version of each wheel and sdist in $1.
write_manifest() {
  local dir=$1 file base rest
  for file in "$dir"/*.whl; do
    base=$(basename "$file" .whl)
    rest=${base#*-}
    echo "${base%%-*}==${rest%%-*}"
  done
  for file in "$dir"/*.tar.gz; do
    base=$(basename "$file" .tar.gz)
    echo "${base%-*}==${base##*-}"
  done
}

# The pins (NAME==VERSION) of the names given.
pins() {
  local name line
  for name in "$@"; do
    line=$(pin "$name")
    echo "$line"
  done
}

main() {
  local py sdist_py wheels sdists
  py=$(pick_python)
  "$py" -m pip --version >/dev/null || die "$py has no pip"
  wheels=$(pins "${WHEELS[@]}")
  sdists=$(pins "${SDISTS[@]}")
  mkdir -p "$BUNDLE_DIR"
  BUNDLE_DIR=$(cd "$BUNDLE_DIR" && pwd)
  rm -f "$BUNDLE_DIR"/*.whl "$BUNDLE_DIR"/*.tar.gz
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  local pip=(-m pip download --disable-pip-version-check --no-deps -q
    -d "$BUNDLE_DIR")

  log "wheels for CPython $PYTHON_VERSION (glibc >= $GLIBC_MAX) with $py"
  # shellcheck disable=SC2046,SC2086  # one word per option and pin
  "$py" "${pip[@]}" --only-binary=:all: --python-version "$PYTHON_VERSION" \
    --implementation cp $(platform_options) $wheels

  log "sdists: $(echo $sdists)"
  sdist_py=$(sdist_python "$py" "$TMP")
  # shellcheck disable=SC2086
  env -u MMCV_WITH_OPS CUDA_VISIBLE_DEVICES= "$sdist_py" "${pip[@]}" \
    --no-binary :all: --no-build-isolation $sdists

  write_manifest "$BUNDLE_DIR" >"$BUNDLE_DIR/requirements.txt"
  {
    echo "Offline bundle of ceph_landmarks (tools/make_bundle.sh):"
    echo "install with: bash tools/install.sh --offline $(basename "$BUNDLE_DIR")"
    echo "python_version=$PYTHON_VERSION"
  } >"$BUNDLE_DIR/README"

  ls -l "$BUNDLE_DIR"
  local size_kb
  size_kb=$(du -sk "$BUNDLE_DIR" | cut -f1)
  log "$BUNDLE_DIR: $(ls "$BUNDLE_DIR" | wc -l) files, $((size_kb / 1024)).$((size_kb % 1024 * 10 / 1024)) MB"
  ((size_kb <= TARGET_MB * 1024)) ||
    log "warning: over the $TARGET_MB MB that a device run carries easily"
}

# run unless sourced (the tests source this file to call its functions)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
