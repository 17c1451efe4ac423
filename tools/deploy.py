"""Export a trained model to ONNX for the light runtime.

Usage:
    python tools/deploy.py CONFIG --checkpoints C [C ...] --out DIR
        [--refine-config CFG --refine-checkpoints C [C ...]]
        [--ensemble heatmap|points] [--flip-test] [--split-members]
        [--calibration FILE | --no-calibration]
        [--overwrite] [--cfg-options key=value ...]

The model options are those of ``tools/test.py`` and ``tools/infer.py``.
Writes into DIR one ONNX file per stage (``first_stage.onnx``,
``refinement.onnx``; with --split-members one per ensemble member) and
``model.json``, everything the runtime needs (landmarks, input sizes,
normalisation, decoding, the refinement window, the ensemble mode, the flip
test, the package version and each file's SHA-256); see
``ceph_landmarks.apis.onnx_export`` and ``docs/user_guides/deploy.md``.
Predict with ``python -m ceph_landmarks.runtime DIR INPUT... --out OUT``.
The model's calibration (error radii and the quality check,
``calibration.json`` beside the first checkpoint, or --calibration FILE;
``tools/calibrate.py`` writes it) is copied into DIR and used by the
runtime; --no-calibration leaves it out. A DIR that holds an export
already is refused unless --overwrite.
"""
import argparse

from mmengine.config import DictAction

from ceph_landmarks.apis.onnx_export import export_onnx
from ceph_landmarks.cli import (add_cascade_arguments, check_cascade_arguments,
                                run_tool)
from ceph_landmarks.core.calibration_lookup import add_calibration_arguments


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a trained model to ONNX for the light runtime')
    parser.add_argument('config', help='model config file')
    add_cascade_arguments(parser)
    parser.add_argument('--out', required=True, help='export folder')
    parser.add_argument(
        '--split-members',
        action='store_true',
        help='one ONNX file per ensemble member (default: one per stage)')
    add_calibration_arguments(parser, 'ship with the export')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an export already in --out')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    args = parser.parse_args()
    check_cascade_arguments(parser, args)
    return args


def main() -> None:
    args = parse_args()
    manifest = export_onnx(
        args.config,
        args.checkpoints,
        args.out,
        refine_config=args.refine_config,
        refine_checkpoints=args.refine_checkpoints or (),
        ensemble=args.ensemble,
        flip_test=args.flip_test,
        cfg_options=args.cfg_options,
        split_members=args.split_members,
        overwrite=args.overwrite,
        calibration=args.calibration)
    files = [
        n['file'] for stage in ('first_stage', 'refinement') if manifest[stage]
        for n in manifest[stage]['networks']
    ]
    print(f'Exported {", ".join(files)} and model.json into {args.out}; '
          f'predict with: python -m ceph_landmarks.runtime {args.out} '
          'INPUT... --out OUT')


if __name__ == '__main__':
    run_tool(main)
