"""Write a slim weights file (meta + state_dict) from a Runner checkpoint.

Usage:
    python tools/export_weights.py SRC --out DST [--overwrite] [--raw]

By default the weights the checkpoint evaluates with are kept (the EMA
average when trained with ``--ema``); ``--raw`` keeps the raw weights of an
EMA run instead, e.g. to measure what EMA changed:
``tools/test.py CONFIG DST``. Optimizer and scheduler states are dropped.
The input is read with ``weights_only=True``. An existing DST is replaced only
with ``--overwrite``, SRC never; an unreadable SRC or a refused DST ends in
one ``error:`` line and exit status 1.
"""
import argparse
import os.path as osp
import sys

import torch

from ceph_landmarks.engine import export_weights
from ceph_landmarks.engine.checkpoint_loader import (CheckpointError,
                                                     load_local_checkpoint)


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


def check_out(src: str, out: str, overwrite: bool) -> None:
    """Exit with an error if writing ``out`` would replace ``src`` or, without
    ``overwrite``, an existing file."""
    if osp.realpath(src) == osp.realpath(out):
        sys.exit(f'error: --out {out} is the input checkpoint; write to '
                 'another file')
    if osp.exists(out) and not overwrite:
        sys.exit(f'error: --out {out} already exists; pass --overwrite to '
                 'replace it')


def main() -> None:
    args = parse_args()
    check_out(args.src, args.out, args.overwrite)
    checkpoint = load_local_checkpoint(args.src, map_location='cpu')
    try:
        weights = export_weights(checkpoint, raw=args.raw, source=args.src)
    except KeyError as err:
        raise SystemExit(err.args[0]) from None
    torch.save(weights, args.out)


if __name__ == '__main__':
    try:
        main()
    except CheckpointError as err:
        sys.exit(f'error: {err}')
