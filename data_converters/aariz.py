"""Convert the 'Aariz dataset to the package's COCO-style data.

Reads (under ``--root``):
    ``{train,valid,test}/Cephalograms/<id>.<ext>``, the landmark files
    ``{train,valid,test}/Annotations/Cephalometric Landmarks/{Senior
    Orthodontists,Junior Orthodontists}/<id>.json`` (``landmarks: [{symbol,
    title, value: {x, y}}]``) and the spacing table
    ``cephalogram_machine_mappings.csv`` (``cephalogram_id``,
    ``pixel_size`` in mm/px; another file with ``--spacing-csv``, in that
    form or the package's ``image,spacing``).
Writes (into ``--out``, which must be new):
    ``images/<id>.png``, ``annotations/{train,val,test}.json`` (the official
    splits; COCO keypoints ``[x, y, v]`` of the 29 ``aariz`` landmarks,
    per-image ``spacing``) and ``defects.json``. The ground truth is the
    seniors', the juniors' or (default) their mean.

Example::

    python data_converters/aariz.py --root Aariz --out data/aariz
"""
import argparse
import functools
import os.path as osp
import time
from typing import List, Optional

from tqdm import tqdm

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.conversion import (ConversionResult, aariz_samples,
                                            convert_samples)
from ceph_landmarks.core.conversion.aariz import AARIZ_SPLITS, SPACING_CSV
from ceph_landmarks.core.input_errors import exit_on_input_error
from ceph_landmarks.core.io.annotations import read_spacing_csv
from ceph_landmarks.core.metainfo import get_landmark_set


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Convert the 'Aariz dataset (29 landmarks, per-image "
        'spacing) to COCO JSON.')
    parser.add_argument('--root', required=True, help='dataset folder')
    parser.add_argument('--out', required=True, help='new output folder')
    parser.add_argument(
        '--annotator',
        choices=['senior', 'junior', 'mean'],
        default='mean',
        help='ground truth (default: mean of senior and junior)')
    parser.add_argument(
        '--spacing-csv',
        help=f'spacing table (default: ROOT/{SPACING_CSV}); the same CSV '
        'as every tool takes: columns image and spacing (or spacing_x and '
        'spacing_y), or the table\'s own cephalogram_id and pixel_size')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='leave out invalid annotation files, images without spacing '
        'and unreadable images, listing them in defects.json, instead of '
        'stopping')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> ConversionResult:
    """Run the conversion, print its summary and return its result.

    Bad input (an unreadable file, a bad option value) ends in
    ``SystemExit('error: <message>')``, as under
    :func:`ceph_landmarks.cli.run_tool`.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    info = get_landmark_set('aariz')['keypoint_info']
    names = [info[k]['name'] for k in sorted(info)]
    symbols = [info[k]['abbr'] for k in sorted(info)]
    annotators = (['senior', 'junior']
                  if args.annotator == 'mean' else [args.annotator])
    with exit_on_input_error():
        table = read_spacing_csv(
            args.spacing_csv or osp.join(args.root, SPACING_CSV))
        samples = aariz_samples(args.root, symbols, names, annotators, table)
        result = convert_samples(
            samples,
            args.out,
            names,
            list(AARIZ_SPLITS.values()),
            skip_invalid=args.skip_invalid,
            description=f"'Aariz ({args.annotator} annotation)",
            progress=functools.partial(tqdm, desc='aariz', unit='image'))
    print(result.summary())
    print(f'Done in {time.perf_counter() - start:.1f} s')
    return result


if __name__ == '__main__':
    run_tool(main)
