"""Count a calibrated model's quality-check verdicts on made-up bad inputs.

Usage:
    python tools/bad_inputs.py CONFIG IMAGE [IMAGE ...] --checkpoints C
        [--refine-config CFG --refine-checkpoints C] [--flip-test]
        [--calibration FILE] [--spacing MM] [--seed 0] [--no-pictures]
        [--out TABLE.json]

Every X-ray is altered in each way of
``ceph_landmarks.benchmarking.bad_inputs.BAD_INPUTS`` (as it is, turned 90
and 180 degrees, mirrored, grey levels inverted, the top or bottom half,
heavy noise), and matplotlib's sample photographs are added. Each is
predicted by the model with its calibration (``calibration.json`` beside
the first checkpoint, or ``--calibration``); the table of verdicts (ok /
review / refuse) is printed as Markdown, with the bad inputs judged ok.
Use X-rays and a calibration the model and the calibration did not see
(a fold's held-out images and the calibration fitted without that fold).
"""
import argparse

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.benchmarking.bad_inputs import verdict_table
from ceph_landmarks.cli import (add_cascade_arguments, check_cascade_arguments,
                                run_tool)
from ceph_landmarks.core.calibration_lookup import add_calibration_arguments
from ceph_landmarks.core.io.inputs import collect_images
from ceph_landmarks.core.writers.atomic_write import check_writable, write_json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Quality-check verdicts of a calibrated model on '
        'made-up bad inputs')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'images', nargs='+', metavar='IMAGE', help='real X-rays to alter')
    add_cascade_arguments(parser)
    add_calibration_arguments(parser, 'apply')
    parser.add_argument(
        '--spacing',
        type=float,
        default=None,
        metavar='MM',
        help='pixel spacing of the X-rays in mm/px (for the radii)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the noise')
    parser.add_argument(
        '--no-pictures',
        action='store_true',
        help='leave out matplotlib\'s sample photographs')
    parser.add_argument('--out', help='also write the table to this JSON')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    args = parser.parse_args()
    check_cascade_arguments(parser, args)
    if args.calibration is None:
        parser.error('--no-calibration: the quality check needs a '
                     'calibration')
    try:
        args.images = collect_images(args.images)
    except (OSError, ValueError) as err:
        parser.error(str(err))
    return args


def main() -> None:
    args = parse_args()
    if args.out:
        check_writable(args.out, '--out')
    predictor = LandmarkPredictor(
        args.config,
        args.checkpoints,
        args.device,
        refine_config=args.refine_config,
        refine_checkpoints=args.refine_checkpoints,
        ensemble=args.ensemble,
        flip_test=args.flip_test,
        calibration=args.calibration)
    if predictor.calibration is None:
        raise ValueError('no calibration found beside the first checkpoint: '
                         'give --calibration FILE')

    def verdict(image):
        quality = predictor.predict(image, spacing=args.spacing).quality
        return None if quality is None else quality.verdict

    table, missed = verdict_table(
        verdict, args.images, args.seed, pictures=not args.no_pictures)
    print(f'\n{len(args.images)} X-rays, calibration: '
          f'{predictor.calibration.description}\n')
    print('| input | ok | review | refuse | not checked |')
    print('|---|---|---|---|---|')
    for name, counts in table.items():
        print(f'| {name} | {counts["ok"]} | {counts["review"]} | '
              f'{counts["refuse"]} | {counts["not checked"]} |')
    for name, image, judged in missed:
        print(f'not flagged: {name}: {image} ({judged})')
    if args.out:
        write_json(
            dict(
                images=list(args.images),
                table=table,
                not_flagged=[list(m) for m in missed]),
            args.out,
            indent=1,
            option='--out')


if __name__ == '__main__':
    run_tool(main)
