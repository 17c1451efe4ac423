"""Predict landmarks with an exported model, without the training stack.

Usage:
    python -m ceph_landmarks.runtime MODEL_DIR INPUT... --out DIR
        [--overwrite] [--spacing MM [MM] | --spacing-csv FILE]
        [--ann-file COCO_JSON] [--labelme] [--report] [--review-below C]
        [--review-radius MM] [--calibration FILE | --no-calibration]
        [--batch-size N] [--device cpu|cuda[:N]] [--threads N]

MODEL_DIR is the folder ``tools/deploy.py`` wrote (``model.json`` and the
ONNX files; the recipe, ensemble and flip test are in it). The other
options and every file written into DIR are those of ``tools/infer.py``
(``landmarks.csv``, ``measurements.csv``, one JSON and overlay per image,
``--labelme``, ``--report``; the radius columns and quality check of the
export's calibration, when it holds one): see its documentation and
``docs/user_guides/deploy.md``. Exit status 1 if an image failed or the
model or DIR cannot be used (one ``error:`` line), 2 for bad arguments.
"""
import argparse
import logging
import sys

from ..core.infer_options import (add_infer_arguments, check_infer_arguments,
                                  check_infer_output, infer_summary,
                                  predict_folder_from_args)
from ..core.input_errors import exit_on_input_error
from ..core.log import get_logger
from .predictor import OnnxLandmarkPredictor


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (``argv``: without the program name)."""
    parser = argparse.ArgumentParser(
        prog='python -m ceph_landmarks.runtime',
        description='Predict cephalometric landmarks with a model exported '
        'by tools/deploy.py (onnxruntime; no torch or OpenMMLab)')
    parser.add_argument(
        'model_dir', help='export folder (model.json and the ONNX files)')
    add_infer_arguments(parser)
    parser.add_argument(
        '--device',
        default='cpu',
        help='cpu (default), cuda or cuda:N (needs onnxruntime-gpu)')
    parser.add_argument(
        '--threads',
        type=int,
        default=0,
        metavar='N',
        help='onnxruntime intra-op threads (default 0: one per physical '
        'core)')
    args = parser.parse_args(argv)
    if args.threads < 0:
        parser.error(f'--threads must be 0 or more, but got {args.threads}')
    check_infer_arguments(parser, args)
    return args


def _log_warnings_to_stderr() -> None:
    """The package's warnings (a spacing that differs from a DICOM
    header's, an overwrite) as ``warning: ...`` lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter('%(levelname)s: %(message)s'))
    logger = get_logger()
    logger.addHandler(handler)
    logger.propagate = False


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    args = parse_args(argv)
    _log_warnings_to_stderr()
    check_infer_output(args)  # before the model is loaded
    predictor = OnnxLandmarkPredictor(
        args.model_dir,
        device=args.device,
        threads=args.threads,
        calibration=args.calibration)
    outcomes = predict_folder_from_args(predictor, args,
                                        len(predictor.landmark_names))
    out, err = infer_summary(outcomes, args)
    for line in out:
        print(line)
    for line in err:
        print(line, file=sys.stderr)
    return 1 if err else 0


if __name__ == '__main__':
    with exit_on_input_error():
        status = main()
    sys.exit(status)
