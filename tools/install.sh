#!/usr/bin/env bash
# Create .venv at the repository root and install the pinned OpenMMLab stack.
#
# Usage:
#   bash tools/install.sh                 # online, from the package index
#   bash tools/install.sh --offline DIR   # no network: from `make bundle`'s DIR
#
# Idempotent: a stamp file records the hash of this script and of what it
# installs from; when nothing changed a second run returns at once. Online
# and offline installs keep separate stamps.
#
# mmcv 2.1.0 is compiled from source with its CPU ops only (the package needs
# no CUDA op): the GPU is hidden from that build, which uses MAX_JOBS (default:
# all cores) compile jobs. MMCV_CUDA_OPS=1 keeps the GPU visible, so that
# mmcv's setup.py also compiles its CUDA ops (slow; needs an nvcc that
# matches torch's CUDA; on a fresh .venv: rm -rf .venv first).
#
# Online: the first run takes about 15 minutes on 2 cores (the mmcv build);
# pip's wheel cache makes later runs take seconds. Where .venv already holds
# a torch (for example a CUDA build on a GPU machine) it is kept and the
# matching torchvision is chosen.
#
# Offline: torch, torchvision, numpy, opencv, scipy, matplotlib, pillow,
# pyyaml and the ONNX packages (onnx, onnx-ir, onnxscript, onnxruntime) come
# from the Python that runs this script ($PYTHON, default python3), at
# whatever versions it has (the log names those that differ from the pins);
# .venv is created to see its packages. Everything else comes from DIR.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
REQ="$ROOT/requirements"
PYTHON="${PYTHON:-python3}"
# the modules an offline install takes from the environment (module:name)
# (the ONNX packages too: onnxruntime's wheel alone is 27 MB)
ENV_MODULES=(torch:torch torchvision:torchvision numpy:numpy
  cv2:opencv-python-headless scipy:scipy matplotlib:matplotlib PIL:pillow
  yaml:pyyaml onnx:onnx onnx_ir:onnx-ir onnxscript:onnxscript
  onnxruntime:onnxruntime)

log() { echo "[install] $*"; }
die() {
  echo "[install] error: $*" >&2
  exit 1
}

usage() {
  echo "usage: bash tools/install.sh [--offline BUNDLE_DIR]" >&2
  exit 2
}

# sha256 of the given files and of this script and setup.py
stamp_hash() {
  cat "$ROOT/tools/install.sh" "$ROOT/setup.py" "$@" | sha256sum | cut -d' ' -f1
}

# Exit 0 at once when STAMP holds HASH (nothing changed since the last run).
exit_if_installed() {
  local stamp=$1 hash=$2
  if [[ -x "$PY" && -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
    log ".venv is up to date ($VENV)"
    exit 0
  fi
}

need_compiler() {
  command -v c++ >/dev/null || command -v g++ >/dev/null ||
    die "no C++ compiler (c++ or g++) on PATH: mmcv's ops and xtcocotools" \
      "are compiled from source; install one (e.g. apt-get install g++)"
}

# Run "$@" (a pip install of mmcv) so that mmcv compiles its CPU ops only:
# the GPU is hidden from the build unless MMCV_CUDA_OPS=1.
build_mmcv() {
  local build_env=(MMCV_WITH_OPS=1 "MAX_JOBS=${MAX_JOBS:-$(nproc)}")
  if [[ "${MMCV_CUDA_OPS:-0}" == 1 ]]; then
    log "MMCV_CUDA_OPS=1: mmcv compiles its CUDA ops too"
    # not the wheel of an earlier CPU-ops build from pip's cache
    env "${build_env[@]}" "$@" --no-cache-dir
  else
    env "${build_env[@]}" CUDA_VISIBLE_DEVICES= FORCE_CUDA=0 "$@"
  fi
}

install_online() {
  local stamp="$VENV/.ceph_landmarks_installed" hash torch_ver tv_minor
  hash=$(stamp_hash "$REQ"/*.txt)
  exit_if_installed "$stamp" "$hash"
  need_compiler
  [[ -x "$PY" ]] || "$PYTHON" -m venv "$VENV"
  local pip=("$PY" -m pip install --disable-pip-version-check)
  local pinned=("${pip[@]}" -c "$REQ/constraints.txt" -c "$REQ/openmmlab.txt")
  "${pip[@]}" -q "pip==25.3"

  # 1. torch: keep an existing one, otherwise the pinned CPU build.
  if "$PY" -c "import torch" 2>/dev/null; then
    torch_ver=$("$PY" -c "import torch; print(torch.__version__.split('+')[0])")
    log "keeping installed torch $torch_ver"
  else
    torch_ver=2.13.0
    "${pinned[@]}" "torch==$torch_ver"
  fi
  # torchvision 0.N pairs with torch 2.(N-15): 2.13 -> 0.28.
  tv_minor=$(($(echo "$torch_ver" | cut -d. -f2) + 15))

  # 2. build tools (setuptools < 81 still ships pkg_resources, which mmcv's
  #    setup.py and mmengine import).
  "${pinned[@]}" setuptools wheel ninja numpy cython

  # 3. mmcv with compiled CPU ops, from source (no wheel exists for this torch).
  build_mmcv "${pinned[@]}" --no-build-isolation --no-deps mmcv

  # 4. xtcocotools from source: the registry wheel is built against numpy 1.
  "${pinned[@]}" --no-build-isolation --no-deps --no-binary xtcocotools xtcocotools

  # 5. OpenMMLab packages without their declared dependencies (mmpose's
  #    would pull chumpy, which does not build, and a CUDA torch).
  "${pip[@]}" --no-deps -r "$REQ/openmmlab.txt" "torchvision==0.$tv_minor.0"

  # 6. runtime, test and lint dependencies, pinned.
  "${pinned[@]}" -r "$REQ/runtime.txt" -r "$REQ/lint.txt"

  # 7. the package itself, editable.
  "${pip[@]}" --no-deps --no-build-isolation -e "$ROOT"
  echo "$hash" >"$stamp"
}

# Exit 0 when $PYTHON runs in a virtual environment.
python_in_venv() {
  "$PYTHON" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'
}

# python -m venv [OPTIONS] .venv; without pip where the interpreter lacks
# ensurepip (Debian's python3 without python3-venv): pip then comes from the
# environment that .venv sees.
make_venv() {
  "$PYTHON" -m venv "$@" "$VENV" 2>/dev/null && return
  rm -rf "$VENV"
  log "ensurepip is missing: .venv uses the environment's pip"
  "$PYTHON" -m venv --without-pip "$@" "$VENV"
}

# Create .venv so that it sees the packages of $PYTHON. Where $PYTHON runs in
# a virtual environment, `venv --system-site-packages` would see the base
# interpreter's packages, not that environment's: then a .pth file in the new
# .venv adds the environment's site-packages folders (after .venv's own).
create_venv_on_env() {
  if ! python_in_venv; then
    make_venv --system-site-packages
    return
  fi
  make_venv
  local site_dir
  site_dir=$("$PY" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  "$PYTHON" -c '
import site
for folder in site.getsitepackages():
    print(f"import site; site.addsitedir({folder!r})")
' >"$site_dir/ceph_landmarks_parent_env.pth"
  log "$VENV sees the packages of $("$PYTHON" -c 'import sys; print(sys.prefix)')"
}

# Fail unless .venv's Python imports torch and finds the other modules of
# ENV_MODULES (torchvision is not imported: ceph_landmarks.compat mends the
# import of a CUDA torchvision next to a CPU torch). Their versions are
# taken as they are: the log names each, with the pin of requirements/
# where it differs.
check_env_modules() {
  local report missing
  report=$(REQ="$REQ" "$PY" - "${ENV_MODULES[@]}" <<'EOF'
import os
import re
import sys
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec


def canonical(name):
    return re.sub(r'[-_.]+', '-', name).lower()


pins = {}
for file in ('openmmlab.txt', 'runtime.txt', 'constraints.txt'):
    with open(os.path.join(os.environ['REQ'], file)) as f:
        for line in f:
            name, sep, pinned = line.strip().partition('==')
            if sep and not name.startswith('#'):
                pins[canonical(name)] = pinned
found, modules = [], set()
for entry in sys.argv[1:]:
    module, name = entry.split(':')
    if find_spec(module) is None:
        print('missing', name)
        continue
    modules.add(module)
    try:
        have = version(name)
    except PackageNotFoundError:  # opencv-python instead of -headless, say
        have = 'of unknown version'
    want = pins.get(canonical(name), have.split('+')[0])
    found.append(f'{name} {have}' +
                 ('' if want == have.split('+')[0] else f' (pinned {want})'))
if 'torch' in modules:
    try:
        import torch  # noqa: F401
    except Exception as err:  # a CUDA build without its libraries, say
        print(f'missing torch ({type(err).__name__}: see python -c '
              '"import torch")')
print('found', ', '.join(found))
EOF
  ) || die "$PY does not run"
  missing=$(sed -n 's/^missing //p' <<<"$report")
  [[ -z "$missing" ]] ||
    die "the offline install takes these from the environment, but $PY" \
      "cannot import them:" $missing "(install them into the environment" \
      "of $PYTHON, or run with PYTHON=/path/to/a/python/that/has/them)"
  log "from the environment: $(sed -n 's/^found //p' <<<"$report")"
}

# The one file of the bundle DIR that matches PATTERN (a glob).
bundle_file() {
  local dir=$1 pattern=$2 found
  found=$(compgen -G "$dir/$pattern" | head -n 1) ||
    die "$dir has no $pattern; make the bundle again (make bundle)"
  echo "$found"
}

# Exit 0 when .venv has the version of the sdist $1 (NAME-VERSION.tar.gz):
# pip would compile it again (after an install that failed later, say).
sdist_installed() {
  local base
  base=$(basename "$1" .tar.gz)
  "$PY" -c 'import sys; from importlib.metadata import version
sys.exit(version(sys.argv[1]) != sys.argv[2])' "${base%-*}" "${base##*-}" \
    2>/dev/null
}

install_offline() {
  local dir=$1 stamp="$VENV/.ceph_landmarks_offline" hash py_version want
  [[ -d "$dir" ]] || die "bundle folder $dir does not exist (make it with" \
    "\`make bundle\` on a machine with network access)"
  dir=$(cd "$dir" && pwd)
  [[ -f "$dir/requirements.txt" ]] ||
    die "$dir/requirements.txt is missing: $dir is not a bundle of make bundle"
  hash=$(stamp_hash "$dir/requirements.txt")
  exit_if_installed "$stamp" "$hash"
  need_compiler

  py_version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  want=$(sed -n 's/^python_version=//p' "$dir/README" 2>/dev/null || true)
  [[ -z "$want" || "$want" == "$py_version" ]] ||
    die "$dir holds wheels for Python $want but $PYTHON is Python" \
      "$py_version (make bundle PYTHON_VERSION=$py_version)"
  local setuptools mmcv xtcocotools
  setuptools=$(bundle_file "$dir" 'setuptools-*.whl')
  mmcv=$(bundle_file "$dir" 'mmcv-*.tar.gz')
  xtcocotools=$(bundle_file "$dir" 'xtcocotools-*.tar.gz')

  [[ -x "$PY" ]] || create_venv_on_env
  "$PY" -m pip --version >/dev/null 2>&1 ||
    die "$PY has no pip, nor does the environment of $PYTHON"
  check_env_modules
  local pip=("$PY" -m pip install --disable-pip-version-check --no-index
    --find-links "$dir" --no-deps)

  # setuptools 80.9.0 first: mmcv's setup.py and mmengine import pkg_resources
  "${pip[@]}" "$setuptools"
  sdist_installed "$mmcv" ||
    build_mmcv "${pip[@]}" --no-build-isolation "$mmcv"
  sdist_installed "$xtcocotools" ||
    "${pip[@]}" --no-build-isolation "$xtcocotools"
  "${pip[@]}" "$dir"/*.whl
  # --use-pep517: an older pip (23.2 of Python 3.11's venv) would run
  # `setup.py develop`, which calls pip again, with build isolation
  "${pip[@]}" --no-build-isolation --use-pep517 -e "$ROOT"

  "$PY" -c "import ceph_landmarks, mmcv.ops, xtcocotools" ||
    die "the installed stack does not import (see the traceback above)"
  echo "$hash" >"$stamp"
}

main() {
  local offline_dir=''
  while [[ $# -gt 0 ]]; do
    case $1 in
      --offline)
        [[ $# -ge 2 && -n "$2" ]] || die "--offline needs the bundle folder"
        offline_dir=$2
        shift 2
        ;;
      -h | --help) usage ;;
      *) die "unknown option: $1 (usage: bash tools/install.sh [--offline DIR])" ;;
    esac
  done
  local start
  start=$(date +%s)
  if [[ -n "$offline_dir" ]]; then
    install_offline "$offline_dir"
  else
    install_online
  fi
  log "done in $(($(date +%s) - start)) s ($VENV)"
}

# run unless sourced (the tests source this file to call its functions)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
