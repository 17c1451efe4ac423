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
        flip_test=args.flip_test)
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
