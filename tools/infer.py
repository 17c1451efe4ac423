"""Predict landmarks on new cephalograms.

Usage:
    python tools/infer.py CONFIG INPUT... --checkpoints C [C ...] --out DIR
        [--refine-config CFG --refine-checkpoints C [C ...]]
        [--ensemble heatmap|points] [--flip-test] [--overwrite]
        [--spacing MM [MM] | --spacing-csv FILE] [--ann-file COCO_JSON]
        [--labelme] [--report] [--review-below C] [--review-radius MM]
        [--calibration FILE | --no-calibration]
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
y_mm, confidence, spacing_source, radius_mm, radius_px) and
measurements.csv (image, analysis, measurement, value, unit, norm_mean,
norm_sd, deviation, flag, ground_truth, error, uncertainty: the Steiner,
Downs, Tweed, McNamara, Jarabak and Ricketts measurements the landmark set
supports, against published norms; mm measures need a spacing); see
``ceph_landmarks.core.writers.prediction_folder``. With --ann-file (the
package's COCO-style JSON, its file_name matched to the images by path:
the file it resolves to, else the longest shared path suffix; two images
matching one entry equally well are refused) the overlays also show the
ground truth with error lines, the JSON files the errors and
measurements.csv the true values and the errors (predicted minus true).
Each image's spacing comes from --spacing, else --spacing-csv, else the
file's DICOM header (Pixel Spacing, or Imager Pixel Spacing /
magnification), else --ann-file, else none; a given spacing that differs
from the header's is logged; every output records the source
(``spacing_source``).

Error radii and the quality check: a model with a calibration
(``ceph_landmarks.core.model_calibration``, written by
``tools/calibrate.py``: ``calibration.json`` beside the first checkpoint,
found there, or --calibration FILE; --no-calibration for none) gives
each landmark an error radius, radius_mm and radius_px (the true point
lies within it with the
calibration's stated probability, e.g. 90 %, on images like those it was
calibrated on), each measurement an uncertainty (its standard deviation,
propagated from the radii by Monte Carlo sampling) and each image a
quality verdict: ok, review (the landmarks look implausible or their radii
are large) or refuse (not a lateral cephalogram in the expected
orientation?). A quality check of the automatic landmarks, not a
diagnosis. The JSON files carry them (``radius_mm``, ``radius_px``,
``uncertainty``, ``quality``, ``calibration``: what the radii mean; and,
with a refinement stage and the spacing, each landmark's
``refine_shift_mm``), the
CSV columns above, the overlays a circle of each radius and the verdict in
the title, the summary printed at the end the images to review or not
usable. Without a calibration the radius and uncertainty columns are
empty, ``calibration`` is null and the report and summary say ``no
calibration``.

--labelme also writes DIR/labelme/<stem>.json per image: the predicted
points as a LabelMe file (labels l1..lK, which data_converters/labelme.py
reads by default; name, confidence and error radius in each point's
description; points below --review-below, default 0.5, and, with
--review-radius MM, points whose error radius exceeds MM flagged
``review``; the verdict review or refuse as the ticked image flag
``quality_review`` or ``quality_refuse``, with the reasons in a top-level
``quality`` key; the spacing in a top-level ``spacing`` key the converter
reads). Open it in LabelMe, correct the points, save, and convert the
folder with data_converters/labelme.py --ann-dirs DIR/labelme: no
--spacing needed. An image LabelMe cannot show (16-bit, DICOM) gets an
8-bit PNG rendition beside its JSON. A LabelMe file changed since it was
written (points, labels, flags such as ``review`` or ``quality_review``,
descriptions: each file records a SHA-256 of what was written,
``written_sha256``) is never overwritten, even with --overwrite.

--report also writes DIR/report/<stem>.html per image, a self-contained
page (a banner when the quality check asks for review, "Automatic
landmarks need review: <reasons>", or finds the image unusable,
"Automatic landmarks not usable: <reasons>"; overlay; landmark table in px
and mm with confidence, error radius in mm and px, what the radius means
or "no calibration: no error radii", and review marks by --review-below
and --review-radius; the analyses with norms, flags and +- uncertainty;
with --ann-file the errors), and DIR/report/index.html linking them (MRE,
quality verdict, number of flagged measurements, failed images).

A DIR holding the results of an earlier run is refused unless --overwrite,
which removes them all first (files that are not outputs are kept). An
image that cannot be read is reported by name and the run goes on; the exit
status is 1 if any image failed or the checkpoint or DIR cannot be used
(one ``error:`` line), 2 for bad arguments.
"""
import argparse
import functools
import sys

from mmengine.config import DictAction
from tqdm import tqdm

from ceph_landmarks.apis import LandmarkPredictor
from ceph_landmarks.cli import (add_cascade_arguments, check_cascade_arguments,
                                run_tool)
from ceph_landmarks.core.infer_options import (add_infer_arguments,
                                               check_infer_arguments,
                                               check_infer_output,
                                               infer_summary,
                                               predict_folder_from_args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Predict cephalometric landmarks on new X-rays')
    parser.add_argument('config', help='model config file')
    add_infer_arguments(parser)
    add_cascade_arguments(parser)
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    args = parser.parse_args()
    check_cascade_arguments(parser, args)
    check_infer_arguments(parser, args)
    return args


def main() -> int:
    args = parse_args()
    check_infer_output(args)  # before the model is built
    predictor = LandmarkPredictor(
        args.config,
        args.checkpoints,
        args.device,
        args.cfg_options,
        refine_config=args.refine_config,
        refine_checkpoints=args.refine_checkpoints,
        ensemble=args.ensemble,
        flip_test=args.flip_test,
        calibration=args.calibration)
    outcomes = predict_folder_from_args(
        predictor,
        args,
        len(predictor.landmark_names),
        progress=functools.partial(
            tqdm, total=len(args.images), desc='infer', unit='image'))
    out, err = infer_summary(outcomes, args)
    for line in out:
        print(line)
    for line in err:
        print(line, file=sys.stderr)
    return 1 if err else 0


if __name__ == '__main__':
    run_tool(main)
