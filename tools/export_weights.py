"""Write a slim weights file (meta + state_dict) from a Runner checkpoint.

Usage:
    python tools/export_weights.py SRC --out DST [--overwrite] [--raw]

By default the weights the checkpoint evaluates with are kept (the EMA
average when trained with ``--ema``); ``--raw`` keeps the raw weights of an
EMA run instead, e.g. to measure what EMA changed:
``tools/test.py CONFIG DST``. Optimizer and scheduler states are dropped.
The input is read with ``weights_only=True``. An existing DST is replaced only
with ``--overwrite``, SRC never; an unreadable SRC, a refused DST or one
that cannot be written (checked before SRC is read) ends in one ``error:``
line and exit status 1. DST is written to a temporary file next to it and
renamed when complete: it never holds half a checkpoint.
"""
import argparse

import torch

from ceph_landmarks.cli import check_output_file, run_tool
from ceph_landmarks.core.writers.atomic_write import (atomic_write,
                                                      check_writable)
from ceph_landmarks.models import export_weights
from ceph_landmarks.models.checkpoint_loader import load_local_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the model weights of a Runner checkpoint')
    parser.add_argument('src', help='Runner checkpoint to read')
    parser.add_argument('--out', required=True, help='weights file to write')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace --out if it exists (refused otherwise)')
    parser.add_argument(
        '--raw',
        action='store_true',
        help='keep the raw weights of an EMA run instead of the average')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    check_output_file(args.src, args.out, args.overwrite)
    check_writable(args.out, '--out')
    checkpoint = load_local_checkpoint(args.src, map_location='cpu')
    try:
        weights = export_weights(checkpoint, raw=args.raw, source=args.src)
    except KeyError as err:
        raise SystemExit(err.args[0]) from None
    with atomic_write(args.out, '--out') as tmp:
        torch.save(weights, tmp)


if __name__ == '__main__':
    run_tool(main)
