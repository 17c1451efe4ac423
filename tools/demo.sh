#!/usr/bin/env bash
# Main job: train the tiny config, test its best checkpoint, print MRE/SDR.
# With no DATA_ROOT a synthetic dataset (60 train / 20 val) is generated into
# data/synthetic first. Called by `make demo` after `make install`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
CONFIG=${CONFIG:-configs/synthetic/td-hm_hrnet-w18-small_1xb8-30e_synthetic-256x256.py}
WORK_DIR=${WORK_DIR:-work_dirs/demo}
DATA_ROOT=${DATA_ROOT:-}

start=$(date +%s)
data_opts=()
if [[ -z "$DATA_ROOT" ]]; then
  if [[ ! -f data/synthetic/annotations/val.json ]]; then
    "$PY" tools/generate_synthetic.py --out data/synthetic --num-train 60 --num-val 20 --seed 0
  fi
else
  data_opts=(--data-root "$DATA_ROOT")  # every dataloader of the config
fi

# --overwrite: a second `make demo` starts afresh; the earlier demo's
# checkpoints are moved into $WORK_DIR/checkpoints_before_<time>/
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" --overwrite \
  "${data_opts[@]}"
best=$(ls -t "$WORK_DIR"/best_ceph_MRE_*.pth | head -n 1)
"$PY" tools/test.py "$CONFIG" --checkpoints "$best" --work-dir "$WORK_DIR" \
  --out "$WORK_DIR/test_metrics.json" "${data_opts[@]}"
"$PY" - "$WORK_DIR/test_metrics.json" "$best" "$start" <<'PYEOF'
import json, sys, time
from ceph_landmarks.core.evaluation.metric_units import metric_unit
metrics = json.load(open(sys.argv[1]))
print(f'\nDemo finished in {time.time() - float(sys.argv[3]):.0f} s; '
      f'best checkpoint {sys.argv[2]}')
for key, value in metrics.items():
    print(f'  {key:<16} {value:8.3f} {metric_unit(key)}')
PYEOF
