"""Map a checkpoint's head to another landmark set, by landmark name.

Usage:
    python tools/extend_checkpoint.py SRC --src-landmarks cldetection2023
        --dst-landmarks isbi2015_p1p2 --out DST [--overwrite]
        [--drop-lowres] [--seed 0]

Landmarks present in both sets keep their trained channels (in the
destination order), new landmarks start as the head initialises them, the
others are dropped; see ``ceph_landmarks.models.landmark_extension``. The
output holds ``meta`` (destination ``dataset_meta``, what was done) and
``state_dict``; optimizer and training state are not carried over. The
input is read with ``weights_only=True``. An existing DST is replaced only
with ``--overwrite``, SRC never; an unreadable SRC, a refused DST or one
that cannot be written (checked before SRC is read) ends in one ``error:``
line and exit status 1. DST is written to a temporary file next to it and
renamed when complete: it never holds half a checkpoint.
"""
import argparse

import torch

from ceph_landmarks.cli import check_output_file, run_tool
from ceph_landmarks.core.metainfo import list_landmark_sets
from ceph_landmarks.core.writers.atomic_write import (atomic_write,
                                                      check_writable)
from ceph_landmarks.models import extend_checkpoint
from ceph_landmarks.models.checkpoint_loader import load_local_checkpoint


def parse_args() -> argparse.Namespace:
    sets = list_landmark_sets()
    parser = argparse.ArgumentParser(
        description='Map a checkpoint to another landmark set by name')
    parser.add_argument('src', help='checkpoint to read')
    parser.add_argument(
        '--src-landmarks',
        required=True,
        choices=sets,
        help='landmark set of SRC')
    parser.add_argument(
        '--dst-landmarks',
        required=True,
        choices=sets,
        help='landmark set wanted')
    parser.add_argument('--out', required=True, help='checkpoint to write')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace --out if it exists (refused otherwise)')
    parser.add_argument(
        '--drop-lowres',
        action='store_true',
        help='SRPose heads: drop the low-resolution maps of dropped '
        'landmarks instead of keeping them as auxiliary channels (the model '
        'then needs no aux_lowres_channels, but the kept landmarks\' '
        'outputs change)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the new landmarks\' initialisation')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    check_output_file(args.src, args.out, args.overwrite)
    check_writable(args.out, '--out')
    checkpoint = load_local_checkpoint(args.src, map_location='cpu')
    extended = extend_checkpoint(
        checkpoint,
        args.src_landmarks,
        args.dst_landmarks,
        keep_dropped_lowres=not args.drop_lowres,
        seed=args.seed)
    with atomic_write(args.out, '--out') as tmp:
        torch.save(extended, tmp)
    info = extended['meta']['landmark_extension']
    print(f'{args.src} ({args.src_landmarks}) -> {args.out} '
          f'({args.dst_landmarks}), {info["head_type"]}')
    print(f'  new landmarks:     {info["new"] or "none"}')
    print(f'  dropped landmarks: {info["dropped"] or "none"}')
    if info['aux_lowres_channels']:
        print('  the model config needs model.head.aux_lowres_channels='
              f'{info["aux_lowres_channels"]}')


if __name__ == '__main__':
    run_tool(main)
