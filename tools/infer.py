"""Predict landmarks on new cephalograms.

Usage:
    python tools/infer.py CONFIG INPUT... --checkpoints C [C ...] --out DIR
        [--refine-config CFG --refine-checkpoints C [C ...]]
        [--ensemble heatmap|points] [--flip-test] [--overwrite]
        [--spacing MM [MM] | --spacing-csv FILE] [--ann-file COCO_JSON]
        [--labelme] [--report] [--review-below C]
        [--device cpu] [--batch-size N] [--cfg-options key=value ...]

The model options are those of ``tools/test.py`` and of
``LandmarkPredictor`` (``ceph_landmarks.cli.add_cascade_arguments``):
several checkpoints of CONFIG (folds, seeds) predict as one ensemble,
``--refine-config`` adds the high-resolution refinement stage,
``--flip-test`` averages with the mirrored images (see
``ceph_landmarks.models.LandmarkCascade``).

INPUT: image files, folders (their .png/.jpg/.jpeg/.bmp/.tif/.tiff/.dcm/
.dicom files) or glob patterns (quote them); DICOM files are read with
their rescale, window and MONOCHROME1 inversion. Writes into DIR one JSON
and one overlay PNG per image, landmarks.csv (image, landmark, x, y, x_mm,
y_mm, confidence, spacing_source) and measurements.csv (image, analysis,
measurement, value, unit, norm_mean, norm_sd, deviation, flag,
ground_truth, error: the Steiner, Downs, Tweed, McNamara, Jarabak and
Ricketts measurements the landmark set supports, against published
norms; mm measures need a spacing); see
``ceph_landmarks.apis.folder_inference``. With --ann-file (the package's
COCO-style JSON, its file_name matched to the images by path: the file it
resolves to, else the longest shared path suffix; two images matching one
entry equally well are refused) the overlays also show the ground truth
with error lines, the JSON files the errors and measurements.csv the true
values and the errors (predicted minus true). Each image's spacing comes
from --spacing, else --spacing-csv, else the file's DICOM header (Pixel
Spacing, or Imager Pixel Spacing / magnification), else --ann-file, else
none; a given spacing that differs from the header's is logged; every
output records the source (``spacing_source``).

--labelme also writes DIR/labelme/<stem>.json per image: the predicted
points as a LabelMe file (labels l1..lK, which data_converters/labelme.py
reads by default; name and confidence in each point's description; points
below --review-below, default 0.5, flagged ``review``; the spacing in a
top-level ``spacing`` key the converter reads). Open it in LabelMe, correct
the points, save, and convert the folder with data_converters/labelme.py
--ann-dirs DIR/labelme: no --spacing needed. An image LabelMe cannot show
(16-bit, DICOM) gets an 8-bit PNG rendition beside its JSON. A LabelMe
file changed since it was written (points, labels, flags such as
``review``, descriptions: each file records a SHA-256 of what was written,
``written_sha256``) is never overwritten, even with --overwrite.

--report also writes DIR/report/<stem>.html per image, a self-contained
page (overlay, landmark table in px and mm with confidence and review
marks, the analyses with norms and flags, with --ann-file the errors), and
DIR/report/index.html linking them (MRE, number of flagged measurements,
failed images).

A DIR holding the results of an earlier run is refused unless --overwrite,
which removes them all first (files that are not outputs are kept). An
image that cannot be read is reported by name and the run goes on; the exit
status is 1 if any image failed or the checkpoint or DIR cannot be used
(one ``error:`` line), 2 for bad arguments.
"""
import argparse
import sys

from mmengine.config import DictAction
from tqdm import tqdm

from ceph_landmarks.apis import (DEFAULT_REVIEW_BELOW, LandmarkPredictor,
                                 check_output_folder, collect_images,
                                 load_ground_truth, predict_to_folder,
                                 read_spacing_csv)
from ceph_landmarks.cli import (add_cascade_arguments, check_cascade_arguments,
                                run_tool)
from ceph_landmarks.core.writers.atomic_write import check_writable_dir


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict cephalometric landmarks on new X-rays')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='image files, folders or glob patterns')
    add_cascade_arguments(parser)
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the results of an earlier run in --out (refused '
        'otherwise): its CSV files and per-image files are removed first')
    spacing = parser.add_mutually_exclusive_group()
    spacing.add_argument(
        '--spacing',
        type=float,
        nargs='+',
        metavar='MM',
        help='pixel spacing of every image in mm/px: one value, or SX SY '
        '(overrides a DICOM header\'s, with a warning)')
    spacing.add_argument(
        '--spacing-csv',
        metavar='FILE',
        help='per-image spacing: CSV with columns image,spacing (or '
        'image,spacing_x,spacing_y)')
    parser.add_argument(
        '--ann-file',
        metavar='COCO_JSON',
        help='ground truth in the package\'s COCO-style JSON, matched to '
        'the images by path (two images matching one entry equally well '
        'are refused); its spacing is used where none is given')
    parser.add_argument(
        '--labelme',
        action='store_true',
        help='also write labelme/<stem>.json per image: the predicted points '
        'as a LabelMe file to correct and convert back')
    parser.add_argument(
        '--report',
        action='store_true',
        help='also write report/<stem>.html per image and report/index.html')
    parser.add_argument(
        '--review-below',
        type=float,
        default=DEFAULT_REVIEW_BELOW,
        metavar='C',
        help='--labelme and --report flag points with a heatmap confidence '
        f'below C for review (default {DEFAULT_REVIEW_BELOW})')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    args = parser.parse_args()
    if args.spacing is not None and len(args.spacing) > 2:
        parser.error(f'--spacing takes one or two values, but got '
                     f'{args.spacing}')
    check_cascade_arguments(parser, args)
    if args.batch_size < 1:
        parser.error(f'--batch-size must be at least 1, but got '
                     f'{args.batch_size}')
    try:
        args.images = collect_images(args.inputs)
        args.spacing_table = read_spacing_csv(args.spacing_csv) \
            if args.spacing_csv else None
    except (OSError, ValueError) as err:
        parser.error(str(err))
    return args


def main() -> int:
    args = parse_args()
    check_output_folder(
        args.out,
        args.images,
        args.overwrite,
        labelme=args.labelme,
        report=args.report)
    check_writable_dir(args.out, '--out')  # before the model is built
    predictor = LandmarkPredictor(
        args.config,
        args.checkpoints,
        args.device,
        args.cfg_options,
        refine_config=args.refine_config,
        refine_checkpoints=args.refine_checkpoints,
        ensemble=args.ensemble,
        flip_test=args.flip_test)
    truth = load_ground_truth(args.ann_file, len(predictor.landmark_names)) \
        if args.ann_file else None
    outcomes = list(
        tqdm(
            predict_to_folder(
                predictor,
                args.images,
                args.out,
                spacing=args.spacing,
                spacing_table=args.spacing_table,
                spacing_table_name=args.spacing_csv,
                ground_truth=truth,
                batch_size=args.batch_size,
                overwrite=args.overwrite,
                labelme=args.labelme,
                review_below=args.review_below,
                report=args.report),
            total=len(args.images),
            desc='infer',
            unit='image'))

    done = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    extra = ', labelme/<stem>.json' if args.labelme else ''
    extra += ', report/<stem>.html and report/index.html' \
        if args.report else ''
    print(f'Predicted {len(done)} of {len(outcomes)} images into {args.out} '
          '(landmarks.csv, measurements.csv, one JSON and overlay PNG per '
          f'image{extra})')
    no_spacing = [o.image for o in done if o.prediction.spacing is None]
    if no_spacing:
        print(f'No pixel spacing for {len(no_spacing)} image(s), mm columns '
              f'left empty: {", ".join(no_spacing)}')
    if truth is not None:
        unmatched = [o.image for o in done if o.ground_truth is None]
        if unmatched:
            print(f'Not in {args.ann_file} ({len(unmatched)}), drawn '
                  f'without ground truth: {", ".join(unmatched)}')
    for o in failed:
        print(f'FAILED: {o.error}', file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    run_tool(main)
