"""Convert LabelMe point annotations to the package's COCO-style dataset.

Reads:
    one folder of LabelMe JSON files per annotator (``--ann-dirs``; the
    folder name is the annotator's name, files are matched across folders
    by name), each with ``point`` shapes labelled ``l1``..``lK`` (or as
    ``--label-map`` says); the images through each file's ``imagePath``,
    relative to the JSON file as in LabelMe (or by name in ``--img-dir``,
    or the embedded ``imageData``); the spacing from ``--spacing`` or a
    per-image ``--spacing-csv`` (columns ``image,spacing`` or
    ``image,spacing_x,spacing_y``), else from each file's top-level
    ``spacing`` key (``tools/infer.py --labelme`` writes it; a spacing
    given that differs from it wins, with a warning), else from a DICOM
    image's header (a spacing given that differs from the header's wins,
    with the warning ``tools/infer.py`` gives; a header whose spacing is
    malformed, like an empty image file, is an unreadable image, named
    with its cause).
Writes (into ``--out``, which must be new):
    ``images/{stem}.png``, ``annotations/{train,val[,test]}.json`` (seeded
    split, COCO keypoints ``[x, y, v]``, per-image ``spacing``) and
    ``defects.json``. With several annotators the ground truth is their
    mean (see ``ceph_landmarks.core.conversion.combine``) and the
    inter-observer MRE / SDR of the first two is printed.

Example (the Hamedan set, both orthodontists)::

    python data_converters/labelme.py \\
        --ann-dirs ../shared/data/hamedan/annotations/farhadifar \\
                   ../shared/data/hamedan/annotations/mollabashi \\
        --spacing 0.144 --skip-invalid --out data/hamedan

Pre-annotated by a model (``tools/infer.py ... --labelme``), corrected in
LabelMe::

    python data_converters/labelme.py --ann-dirs results/labelme \\
        --landmark-set isbi2015 --out data/new
"""
import argparse
import functools
import os.path as osp
import time
from typing import List, Optional

from tqdm import tqdm

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.conversion import (ConversionResult, convert_samples,
                                            labelme_samples, load_label_map,
                                            split_fractions)
from ceph_landmarks.core.input_errors import exit_on_input_error
from ceph_landmarks.core.io.annotations import read_spacing_csv
from ceph_landmarks.core.metainfo import landmark_names, list_landmark_sets


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert LabelMe point annotations (one folder per '
        'annotator) to COCO JSON with per-image spacing.')
    parser.add_argument(
        '--ann-dirs',
        nargs='+',
        required=True,
        help='LabelMe JSON folder(s), one per annotator')
    parser.add_argument('--out', required=True, help='new output folder')
    parser.add_argument(
        '--annotator',
        default='mean',
        help='ground truth: "mean" of all annotator folders (default) or '
        'the name of one folder')
    parser.add_argument(
        '--landmark-set',
        default='isbi2015',
        choices=list_landmark_sets(),
        help='landmark set of the output (default: isbi2015)')
    parser.add_argument(
        '--label-map',
        help='JSON {label: landmark name or 1-based number}; default: '
        'l1..lK in the landmark set order')
    spacing = parser.add_mutually_exclusive_group()
    spacing.add_argument(
        '--spacing',
        type=float,
        help='pixel spacing of every image, mm/px (default: the "spacing" '
        'each LabelMe file records, as tools/infer.py --labelme writes it)')
    spacing.add_argument(
        '--spacing-csv',
        help='CSV with columns image (JSON stem or image file name) and '
        'spacing, or spacing_x and spacing_y (mm/px)')
    parser.add_argument(
        '--img-dir',
        help='folder of the images (default: imagePath '
        'relative to each JSON file)')
    parser.add_argument('--val-ratio', type=float, default=0.2)
    parser.add_argument('--test-ratio', type=float, default=0.0)
    parser.add_argument('--seed', type=int, default=0, help='split seed')
    parser.add_argument(
        '--skip-invalid',
        action='store_true',
        help='leave out invalid annotation files (duplicated labels, points '
        'outside the image, ...) and unreadable images, listing them in '
        'defects.json, instead of stopping')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> ConversionResult:
    """Run the conversion, print its summary and return its result.

    Bad input (an unreadable file, a bad option value) ends in
    ``SystemExit('error: <message>')``, as under
    :func:`ceph_landmarks.cli.run_tool`.
    """
    args = parse_args(argv)
    start = time.perf_counter()
    names = landmark_names(args.landmark_set)
    ann_dirs = args.ann_dirs
    if args.annotator != 'mean':
        ann_dirs = [
            d for d in ann_dirs
            if osp.basename(osp.normpath(d)) == args.annotator
        ]
        if not ann_dirs:
            raise SystemExit(f'error: --annotator {args.annotator!r} is not '
                             f'one of the folders {args.ann_dirs}')
    with exit_on_input_error():
        fractions = split_fractions(args.val_ratio, args.test_ratio)
        samples = labelme_samples(
            ann_dirs,
            names,
            label_map=load_label_map(args.label_map, names)
            if args.label_map else None,
            spacing=args.spacing,
            spacing_table=read_spacing_csv(args.spacing_csv)
            if args.spacing_csv else None,
            img_dir=args.img_dir,
            fractions=fractions,
            seed=args.seed,
            spacing_table_name=args.spacing_csv)
        result = convert_samples(
            samples,
            args.out,
            names,
            list(fractions),
            skip_invalid=args.skip_invalid,
            description=f'LabelMe annotations ({args.annotator} of '
            f'{len(ann_dirs)} annotator folder(s)), seed {args.seed}',
            progress=functools.partial(tqdm, desc='labelme', unit='image'))
    print(result.summary())
    print(f'Done in {time.perf_counter() - start:.1f} s')
    return result


if __name__ == '__main__':
    run_tool(main)
