"""Convert the ISBI 2015 challenge dataset to the package's COCO-style data.

Reads (under ``--root``):
    ``RawImage/{TrainingData,Test1Data,Test2Data}/NNN.bmp`` and
    ``AnnotationsByMD/{400_senior,400_junior}/NNN.txt`` (first 19 lines
    ``x,y``, in ISBI landmark order).
Writes (into ``--out``, which must be new):
    ``images/NNN.png``, ``annotations/{train,test1,test2}.json`` (the three
    official splits; COCO keypoints ``[x, y, v]``, spacing 0.1 mm/px) and
    ``defects.json``. The ground truth is the senior's, the junior's or
    (default) their mean; with the mean, the inter-observer MRE / SDR of
    the two doctors is printed.

Example::

    python data_converters/isbi2015.py --root ISBI2015 --out data/isbi2015
"""
import argparse
import functools
import time
from typing import List, Optional

from tqdm import tqdm

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.conversion import (ConversionResult, convert_samples,
                                            isbi2015_samples)
from ceph_landmarks.core.conversion.isbi2015 import ISBI_SPLITS
from ceph_landmarks.core.input_errors import exit_on_input_error
from ceph_landmarks.core.metainfo import landmark_names


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the ISBI 2015 cephalometric dataset (19 '
        'landmarks, 0.1 mm/px) to COCO JSON with per-image spacing.')
    parser.add_argument(
        '--root',
        required=True,
        help='folder holding RawImage/ and AnnotationsByMD/')
    parser.add_argument('--out', required=True, help='new output folder')
    parser.add_argument(
        '--annotator',
        choices=['senior', 'junior', 'mean'],
        default='mean',
        help='ground truth (default: mean of both doctors)')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='leave out invalid annotation files and unreadable images, '
        'listing them in defects.json, instead of stopping')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> ConversionResult:
    """Run the conversion, print its summary and return its result.

    Bad input (an unreadable file, a bad option value) ends in
    ``SystemExit('error: <message>')``, as under
    :func:`ceph_landmarks.cli.run_tool`.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    names = landmark_names('isbi2015')
    annotators = (['senior', 'junior']
                  if args.annotator == 'mean' else [args.annotator])
    with exit_on_input_error():
        samples = isbi2015_samples(args.root, annotators)
        result = convert_samples(
            samples,
            args.out,
            names,
            list(ISBI_SPLITS),
            skip_invalid=args.skip_invalid,
            description=f'ISBI 2015 ({args.annotator} annotation)',
            progress=functools.partial(tqdm, desc='isbi2015', unit='image'))
    print(result.summary())
    print(f'Done in {time.perf_counter() - start:.1f} s')
    return result


if __name__ == '__main__':
    run_tool(main)
