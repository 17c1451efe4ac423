"""Measure the first stage's errors for the refinement stage's training.

Usage:
    python tools/crop_offsets.py DUMP.pkl [DUMP.pkl ...] [--out FILE.json]

DUMP: predictions of the first stage written by ``tools/test.py CONFIG
CHECKPOINT --dump DUMP.pkl`` on images the model was NOT trained on (the
validation folds of a K-fold training of the training images: out-of-fold
predictions). Prints, per landmark, the spread of the error along x and y
as a fraction of the image's longer side (see
``ceph_landmarks.core.evaluation.relative_error_spread``), and the
``offset_std = [...]`` line for a refinement config's ``LandmarkCrop``.
"""
import argparse
import json

import mmengine
import numpy as np

from ceph_landmarks.cli import check_output_file, run_tool
from ceph_landmarks.core.evaluation import relative_error_spread


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Spread of the first stage\'s out-of-fold errors')
    parser.add_argument(
        'dumps',
        nargs='+',
        metavar='DUMP',
        help='.pkl files of tools/test.py --dump')
    parser.add_argument('--out', help='also write the result to this JSON')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing --out file')
    return parser.parse_args()


def read_dump(path: str) -> list:
    """The samples of one dump, checked for what is needed here."""
    samples = mmengine.load(path)
    if not isinstance(samples, list) or not samples or not all(
            isinstance(s, dict) and 'pred_instances' in s
            and 'gt_instances' in s and 'ori_shape' in s for s in samples):
        raise ValueError(f'{path}: not a prediction dump of tools/test.py '
                         '--dump (a list of samples with pred_instances, '
                         'gt_instances and ori_shape)')
    return samples


def main() -> None:
    args = parse_args()
    if args.out:
        for dump in args.dumps:
            check_output_file(dump, args.out, args.overwrite)
    samples = [s for path in args.dumps for s in read_dump(path)]
    pred = np.stack(
        [np.asarray(s['pred_instances']['keypoints'])[0] for s in samples])
    gt = np.stack(
        [np.asarray(s['gt_instances']['keypoints'])[0] for s in samples])
    mask = np.stack([
        np.asarray(s['gt_instances']['keypoints_visible']).reshape(
            pred.shape[1]) > 0 for s in samples
    ])
    sizes = np.array([s['ori_shape'][:2] for s in samples])
    spread = relative_error_spread(pred, gt, mask, sizes)
    print(f'{len(samples)} images; error spread (RMS, fraction of the '
          'longer image side) per landmark, x / y:')
    for k, (sx, sy) in enumerate(spread):
        print(f'  {k:3d}  {sx:.4f}  {sy:.4f}')
    rounded = np.round(spread, 4).tolist()
    print(f'offset_std = {rounded}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(
                    images=len(samples), dumps=args.dumps, offset_std=rounded),
                f,
                indent=2)


if __name__ == '__main__':
    run_tool(main)
