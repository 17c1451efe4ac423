"""Convert the CL-Detection 2023 challenge data to the package's COCO data.

Reads:
    the stacked image volume (``--stack``, e.g. ``train_stack.mha``, about
    400 x 2400 x 2880 x 3), one image at a time with SimpleITK (never the
    whole 8 GB volume), removing each image's zero padding at the bottom and
    right; the challenge labels JSON (``--labels``): ``points`` with
    ``name`` (landmark 1-38), ``point: [x, y, z]`` (``z`` = 1-based image
    index) and ``scale`` (the image's spacing in mm, a string).
Writes (into ``--out``, which must be new):
    ``images/NNN.png`` (NNN = image index), ``annotations/{train,val,test}
    .json`` (seeded split, COCO keypoints ``[x, y, v]`` of the 38
    ``cldetection2023`` landmarks, per-image ``spacing``) and
    ``defects.json``.

Example::

    python data_converters/cldetection2023.py --stack train_stack.mha \\
        --labels train-gt.json --out data/cldetection2023
"""
import argparse
import functools
import time
from typing import List, Optional

from tqdm import tqdm

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.conversion import (ConversionResult,
                                            cldetection2023_samples,
                                            convert_samples, split_fractions)
from ceph_landmarks.core.input_errors import exit_on_input_error
from ceph_landmarks.core.metainfo import landmark_names


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the CL-Detection 2023 stacked .mha images and '
        'labels JSON (38 landmarks) to COCO JSON with per-image spacing.')
    parser.add_argument(
        '--stack', required=True, help='stacked image volume (.mha)')
    parser.add_argument(
        '--labels', required=True, help='challenge labels JSON')
    parser.add_argument('--out', required=True, help='new output folder')
    parser.add_argument('--val-ratio', type=float, default=0.125)
    parser.add_argument('--test-ratio', type=float, default=0.125)
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='leave out images with invalid labels (duplicated landmark, '
        'point outside the image, no spacing) or unreadable pixels (e.g. '
        'the end of a truncated stack) and list them in defects.json, '
        'instead of stopping')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> ConversionResult:
    """Run the conversion, print its summary and return its result.

    Bad input (an unreadable file, a bad option value) ends in
    ``SystemExit('error: <message>')``, as under
    :func:`ceph_landmarks.cli.run_tool`.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    names = landmark_names('cldetection2023')
    with exit_on_input_error():
        fractions = split_fractions(args.val_ratio, args.test_ratio)
        samples = cldetection2023_samples(args.stack, args.labels, names,
                                          fractions, args.seed)
        result = convert_samples(
            samples,
            args.out,
            names,
            list(fractions),
            skip_invalid=args.skip_invalid,
            description=f'CL-Detection 2023, seed {args.seed}',
            progress=functools.partial(
                tqdm, desc='cldetection2023', unit='image'))
    print(result.summary())
    print(f'Done in {time.perf_counter() - start:.1f} s')
    return result


if __name__ == '__main__':
    run_tool(main)
