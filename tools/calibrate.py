"""Calibrate a model's error radii and quality check on its out-of-fold
predictions, and measure them.

Usage:
    python tools/calibrate.py --predictions DIR [DIR ...] --out FILE.json
        [--alpha 0.1] [--review-radius MM] [--description TEXT]
        [--test-predictions DIR [DIR ...]] [--report REPORT.json]
        [--overwrite]

``--predictions``: one folder per fold, each written by ``tools/infer.py``
(or the light runtime) with ``--ann-file``, predicting the images the
fold's model did NOT train on (its validation fold): every image once,
with its ground truth. The calibration (``--out``, e.g.
``calibration.json`` beside the checkpoints) holds a radius per landmark
(split-conformal: the true point lies within it with probability
``1 - alpha``, constant or scaled by the confidence where cross-fitting
shows it smaller at the same coverage), the shape model of the true
landmark configurations, and the review radius.

Printed and written to ``--report``: the radius models compared; per
landmark and overall the coverage and mean radius on the calibration
images, cross-fitted (the whole calibration refitted without each fold
and measured on it), and on each ``--test-predictions`` folder (held out,
e.g. an external test set, or the same images predicted with each
doctor's ``--ann-file``: one folder per ground truth); the quality check
(verdicts, correctly predicted images flagged, AUROC of the shape distance
for images with a landmark more than 4 mm off).
"""
import argparse
import math
import os.path as osp
from typing import List, Optional, Tuple

from ceph_landmarks.cli import run_tool
from ceph_landmarks.core.evaluation.calibration_data import (
    BAD_ERROR_MM, calibration_report, fit_model_calibration,
    read_prediction_folders)
from ceph_landmarks.core.model_calibration import (CALIBRATION_FILE,
                                                   save_calibration)
from ceph_landmarks.core.writers.atomic_write import check_writable, write_json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Fit error radii per landmark and the image quality '
        'check on out-of-fold predictions, and measure their coverage')
    parser.add_argument(
        '--predictions',
        nargs='+',
        required=True,
        metavar='DIR',
        help='out-of-fold prediction folders of tools/infer.py --ann-file, '
        'one per fold; every image in exactly one')
    parser.add_argument(
        '--out',
        required=True,
        metavar='FILE',
        help='the calibration file to write, e.g. calibration.json beside '
        'the checkpoints (a folder: calibration.json in it)')
    parser.add_argument(
        '--alpha',
        type=float,
        default=0.1,
        help='miscoverage: the radii hold with probability 1 - alpha '
        '(default 0.1: 90 %%)')
    parser.add_argument(
        '--review-radius',
        type=float,
        metavar='MM',
        help='flag an image for review when a radius exceeds this many mm')
    parser.add_argument(
        '--description',
        default='',
        metavar='TEXT',
        help='what the calibration data is (e.g. "hamedan 5-fold, mean of '
        'two doctors"); default: the folder names')
    parser.add_argument(
        '--test-predictions',
        nargs='+',
        default=[],
        metavar='DIR',
        help='prediction folders (tools/infer.py --ann-file) of images the '
        'calibration is NOT fitted on, each measured on its own (an '
        'external set; one folder per doctor\'s annotations)')
    parser.add_argument(
        '--report', metavar='FILE', help='also write the report as JSON')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing --out (and --report) file')
    return parser.parse_args()


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad values and existing outputs before any work."""
    if not 0.0 < args.alpha < 1.0:
        raise ValueError(f'--alpha must be in (0, 1), but got {args.alpha}')
    if args.review_radius is not None and not (math.isfinite(
            args.review_radius) and args.review_radius > 0):
        raise ValueError(f'--review-radius must be a positive number of mm, '
                         f'but got {args.review_radius}')
    if osp.isdir(args.out):
        args.out = osp.join(args.out, CALIBRATION_FILE)
    outputs = [('--out', args.out)]
    if args.report:
        outputs.append(('--report', args.report))
        if osp.realpath(args.report) == osp.realpath(args.out):
            raise ValueError(f'--report {args.report} is the --out file; '
                             'write them to two files')
    for option, path in outputs:
        if osp.exists(path) and not args.overwrite:
            raise FileExistsError(f'{option} {path} already exists; pass '
                                  '--overwrite to replace it')
        check_writable(path, option)


def _fmt(value: Optional[float], spec: str = '.3f') -> str:
    return '-' if value is None or not math.isfinite(value) \
        else format(value, spec)


def print_radius_models(rows: List[dict]) -> None:
    print(f'\nRadius models compared on the calibration images '
          f'(cross-fitted, {rows[0]["folds"]} folds):')
    print(f'  {"model":<24} {"coverage":>9} {"min landmark":>13} '
          f'{"mean radius mm":>15}  chosen')
    for row in rows:
        print(f'  {row["model"]:<24} {_fmt(row["coverage"]):>9} '
              f'{_fmt(row["min_landmark_coverage"]):>13} '
              f'{_fmt(row["mean_radius_mm"], ".2f"):>15}  '
              f'{"yes" if row.get("chosen") else ""}')


def print_coverage(names: List[str], tables: List[Tuple[str, dict]],
                   nominal: float) -> None:
    """Per landmark and overall: coverage and mean radius, one column pair
    per data set."""
    print(f'\nCoverage (nominal {nominal:.1%}) and mean radius (mm) per '
          'landmark:')
    first = max(len(n) for n in [*names, 'min landmark'])
    widths = [max(len(title), 21) for title, _ in tables]

    def line(label: str, cells: List[Tuple[str, str]]) -> str:
        return f'  {label:<{first}}' + ''.join(
            f'  {a:>{w - 10}} {b:>9}' for (a, b), w in zip(cells, widths))

    print(f'  {"":<{first}}' +
          ''.join(f'  {title:>{w}}' for (title, _), w in zip(tables, widths)))
    print(line('landmark', [('coverage', 'radius')] * len(tables)))
    for k, name in enumerate(names):
        print(
            line(name, [(_fmt(t['per_landmark'][k]['coverage']),
                         _fmt(t['per_landmark'][k]['mean_radius_mm'], '.2f'))
                        for _, t in tables]))
    print(
        line('overall', [(_fmt(t['overall']['coverage']),
                          _fmt(t['overall']['mean_radius_mm'], '.2f'))
                         for _, t in tables]))
    print(
        line('min landmark', [(_fmt(t['overall']['min_landmark_coverage']), '')
                              for _, t in tables]))


def print_quality(checks: List[Tuple[str, Optional[dict]]]) -> None:
    print(f'\nQuality check (an image is correctly predicted when its '
          f'largest error is <= {BAD_ERROR_MM:g} mm):')
    width = max(len(title) for title, _ in checks)
    print(f'  {"data":<{width}} {"ok":>5} {"review":>7} {"refuse":>7} '
          f'{"correct flagged":>16} {"bad flagged":>12} '
          f'{"AUROC distance":>15} {"AUROC verdict":>14}')
    for title, check in checks:
        if check is None:
            print(f'  {title:<{width}} no check: the calibration has '
                  'neither a shape model nor a review radius')
            continue
        counts = check['verdicts']
        correct = f'{check["num_correct_flagged"]}/{check["num_correct"]}'
        bad = f'{check["num_bad_flagged"]}/{check["num_bad"]}'
        print(f'  {title:<{width}} {counts["ok"]:>5} {counts["review"]:>7} '
              f'{counts["refuse"]:>7} {correct:>16} {bad:>12} '
              f'{_fmt(check["auroc_shape_distance"]):>15} '
              f'{_fmt(check["auroc_verdict"]):>14}')


def main() -> None:
    args = parse_args()
    check_arguments(args)
    data = read_prediction_folders(args.predictions)
    tests = [(folder, read_prediction_folders([folder]))
             for folder in args.test_predictions]
    calibration = fit_model_calibration(data, args.alpha, args.description,
                                        args.review_radius)
    fit = calibration_report(calibration, data, fitting_data=data)
    test_reports = [(folder,
                     calibration_report(calibration, test, fitting_data=data))
                    for folder, test in tests]
    save_calibration(calibration, args.out, overwrite=args.overwrite)

    shape = calibration.shape
    shape_text = shape.fitted_on if shape else \
        'none (too few fully annotated images)'
    print(f'Calibration written to {args.out}:\n  {calibration.description}')
    review = 'none' if args.review_radius is None else \
        f'{args.review_radius:g} mm'
    print(f'  radius model: {fit["radius_model"]}; shape model: '
          f'{shape_text}; review radius: {review}')
    print_radius_models(calibration.radius.candidates)
    tables, checks = [], []
    cross = fit['cross_fitted']
    if cross and 'error' not in cross:
        tables.append(('calibration (cross-fitted)', cross))
        checks.append(('calibration (cross-fitted)', cross['quality_check']))
    else:
        reason = cross['error'] if cross else 'not computed'
        print(f'\nno cross-fitted table ({reason}); the in-sample table '
              'is at least nominal by construction')
        tables.append(('calibration (in-sample)', fit['coverage']))
    checks.append(('calibration (in-sample)', fit['quality_check']))
    for folder, report in test_reports:
        role = report['data']['fitting']
        if role != 'held out':
            shared = report['data']['num_images_fitted_on']
            print(f'\nwarning: {folder}: {shared} of its images are '
                  f'calibration images ({role}); its coverage is not a '
                  'held-out measurement')
        name = osp.basename(osp.normpath(folder))
        tables.append((f'{name} ({role})', report['coverage']))
        checks.append((f'{name} ({role})', report['quality_check']))
    if tables:
        print_coverage(data.landmark_names, tables,
                       calibration.nominal_coverage)
    print_quality(checks)
    if args.report:
        write_json(
            dict(
                calibration_file=args.out,
                description=calibration.description,
                alpha=calibration.radius.alpha,
                nominal_coverage=calibration.nominal_coverage,
                radius_model=fit['radius_model'],
                review_radius_mm=calibration.review_radius_mm,
                shape_model=shape.fitted_on if shape else None,
                fit=fit,
                test=[report for _, report in test_reports]),
            args.report,
            indent=1,
            option='--report')
        print(f'\nReport written to {args.report}')


if __name__ == '__main__':
    run_tool(main)
