"""Write a slim weights file (meta + state_dict) from a Runner checkpoint.

Usage:
    python tools/export_weights.py SRC --out DST [--raw]

By default the weights the checkpoint evaluates with are kept (the EMA
average when trained with ``--ema``); ``--raw`` keeps the raw weights of an
EMA run instead, e.g. to measure what EMA changed:
``tools/test.py CONFIG DST``. Optimizer and scheduler states are dropped.
The input is read with ``weights_only=True``.
"""
import argparse
import os.path as osp

import torch

from ceph_landmarks.engine import export_weights, load_local_checkpoint


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export the model weights of a Runner checkpoint')
    parser.add_argument('src', help='Runner checkpoint to read')
    parser.add_argument('--out', required=True, help='weights file to write')
    parser.add_argument(
        '--raw',
        action='store_true',
        help='keep the raw weights of an EMA run instead of the average')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if osp.abspath(args.src) == osp.abspath(args.out):
        raise SystemExit('--out must differ from SRC')
    checkpoint = load_local_checkpoint(args.src, map_location='cpu')
    try:
        weights = export_weights(checkpoint, raw=args.raw, source=args.src)
    except KeyError as err:
        raise SystemExit(err.args[0]) from None
    torch.save(weights, args.out)


if __name__ == '__main__':
    main()
