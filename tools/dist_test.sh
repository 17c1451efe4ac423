#!/usr/bin/env bash
# Distributed testing through torchrun:
#   tools/dist_test.sh CONFIG CHECKPOINT NPROC [ARGS]
# NPROC processes on this node, one per GPU (NCCL); without CUDA they test
# on the CPU with gloo (see ceph_landmarks/compat.py). ARGS go to
# tools/test.py. Environment: PYTHON (default python), PORT (the master's
# port, default 29500), NNODES, NODE_RANK, MASTER_ADDR.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}

"$PYTHON" -m torch.distributed.run \
  --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$NPROC" --master_port="$PORT" \
  "$(dirname "$0")/test.py" "$CONFIG" --checkpoints "$CHECKPOINT" --launcher pytorch \
  "${@:4}"
