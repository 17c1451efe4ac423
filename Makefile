# The README's two commands: `make demo` (main job) and `make test`.
PY := .venv/bin/python
CONFIG ?= configs/synthetic/td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py
DATA_ROOT ?=
WORK_DIR ?= work_dirs/demo

.PHONY: install light-venv demo test lint bundle compact-data gpu-check-smoke

install:
	bash tools/install.sh

# The light prediction runtime alone (onnxruntime on the torch-free core,
# none of the training stack) in .venv-light: `pip install '.[runtime]'`,
# the pinned list of requirements/light.txt. Done again only when setup.py,
# that list or the package's files change (the install is not editable).
LIGHT_VENV ?= .venv-light
LIGHT_PYTHON ?= python3
LIGHT_STAMP := $(LIGHT_VENV)/.ceph_landmarks_light
light-venv: $(LIGHT_STAMP)

$(LIGHT_STAMP): setup.py requirements/light.txt $(shell find ceph_landmarks -type f -not -name '*.pyc')
	test -x $(LIGHT_VENV)/bin/python || $(LIGHT_PYTHON) -m venv $(LIGHT_VENV)
	$(LIGHT_VENV)/bin/python -m pip install --disable-pip-version-check '.[runtime]'
	touch $@

# Offline bundle for `bash tools/install.sh --offline $(BUNDLE_DIR)` on a
# machine without network access (needs the network here)
PYTHON_VERSION ?= 3.12
BUNDLE_DIR ?= bundle
bundle:
	PYTHON_VERSION=$(PYTHON_VERSION) BUNDLE_DIR=$(BUNDLE_DIR) bash tools/make_bundle.sh

# A half-size copy of the development X-rays (25 MB, 0.288 mm/px) that can
# travel to a GPU machine with the repository (tools/gpu_check.sh reads it)
HAMEDAN ?= ../shared/data/hamedan
compact-data: install
	$(PY) data_converters/downscale_labelme.py --src $(HAMEDAN) \
	  --out data/hamedan_compact --scale 0.5 --spacing 0.144

# The GPU check's steps on CPU with tiny sizes (a few minutes)
gpu-check-smoke: install
	bash tools/gpu_check.sh work_dirs/gpu_check_smoke --cpu-smoke \
	  --work-dir work_dirs/gpu_check_smoke/work

demo: install
	CONFIG=$(CONFIG) DATA_ROOT=$(DATA_ROOT) WORK_DIR=$(WORK_DIR) bash tools/demo.sh

test: install
	$(PY) -m pytest tests -q -n 2 --dist loadfile --no-loadscope-reorder

# flake8, isort, yapf and codespell with the settings in setup.cfg (seconds)
LINTED := ceph_landmarks configs data_converters tests tools setup.py
lint: install
	$(PY) -m flake8 $(LINTED)
	$(PY) -m isort --check-only --diff $(LINTED)
	$(PY) -m yapf --recursive --parallel --diff $(LINTED)
	.venv/bin/codespell $(LINTED) README.md docs Makefile requirements
