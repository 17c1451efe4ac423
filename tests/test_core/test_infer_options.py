"""``ceph_landmarks.core.infer_options`` and ``predict_to_folder`` with a
predictor that is not the MMPose one (any ``FolderPredictor``): the
options, checks, folder and summary of an inference command line, without
torch."""
import argparse
import csv
import dataclasses
import json
import logging

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.infer_options import (add_infer_arguments,
                                               check_infer_arguments,
                                               check_infer_output,
                                               infer_summary,
                                               predict_folder_from_args)
from ceph_landmarks.core.io.batch_inputs import check_batch_inputs
from ceph_landmarks.core.io.inputs import load_image
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.prediction import QualityCheck, image_prediction
from ceph_landmarks.core.writers.prediction_folder import (FolderPredictor,
                                                           predict_to_folder)

NAMES = landmark_names('isbi2015')


class FixedPredictor:
    """Predicts the same points, scaled to each image; records its calls."""

    def __init__(self) -> None:
        self.labels = [name[:2] for name in NAMES]
        self.batches = []

    def predict_batch(self,
                      images,
                      spacings=None,
                      sources=None,
                      batch_size=8,
                      spacing_sources=None):
        checked = check_batch_inputs(images, spacings, sources, batch_size,
                                     spacing_sources)
        self.batches.append(len(checked.images))
        results = []
        for image, source, spacing, spacing_source in zip(
                checked.images, checked.sources, checked.spacings,
                checked.spacing_sources):
            pixels = image if isinstance(image, np.ndarray) \
                else load_image(image)
            height, width = pixels.shape[:2]
            keypoints = np.stack([
                np.linspace(1, width - 2, len(NAMES)),
                np.linspace(1, height - 2, len(NAMES))[::-1]
            ], 1)
            results.append(
                image_prediction(keypoints, np.full(len(NAMES), 0.7), NAMES,
                                 (height, width), source, spacing,
                                 spacing_source))
        return results


def _fixed() -> FolderPredictor:
    return FixedPredictor()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_infer_arguments(parser)
    return parser


def _parse(argv):
    parser = _parser()
    args = parser.parse_args(argv)
    check_infer_arguments(parser, args)
    return args


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / 'xrays'
    folder.mkdir()
    paths = []
    for i, (h, w) in enumerate([(40, 30), (30, 50), (20, 20)]):
        path = str(folder / f'x{i}.png')
        cv2.imwrite(path, np.full((h, w), 40 * i, np.uint8))
        paths.append(path)
    return folder, paths


def test_defaults_and_images_found(images, tmp_path):
    folder, paths = images
    args = _parse([str(folder), '--out', str(tmp_path / 'out')])
    assert args.images == paths
    assert (args.spacing, args.spacing_table, args.ann_file) == (None, None,
                                                                 None)
    assert (args.batch_size, args.review_below, args.review_radius) == (1, 0.5,
                                                                        None)
    assert not (args.overwrite or args.labelme or args.report)


@pytest.mark.parametrize('argv, message', [
    (['--spacing', '0.1', '0.1', '0.1'
      ], '--spacing takes one or two values, but got [0.1, 0.1, 0.1]'),
    (['--batch-size', '0'], '--batch-size must be at least 1, but got 0'),
    (['--review-radius', '-0.5'
      ], '--review-radius must be a number of mm >= 0, but got -0.5'),
    (['--review-radius', 'nan'
      ], '--review-radius must be a number of mm >= 0, but got nan'),
    (['--spacing', '0.1', '--spacing-csv', 'a.csv'
      ], 'not allowed with argument'),
    (['--spacing-csv', 'no_such.csv'], 'no_such.csv'),
])
def test_bad_options_are_usage_errors(images, tmp_path, capsys, argv, message):
    folder, _ = images
    with pytest.raises(SystemExit) as info:
        _parse([str(folder), '--out', str(tmp_path / 'out'), *argv])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_no_image_found_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        _parse([str(tmp_path / 'none' / '*.png'), '--out', str(tmp_path)])
    assert info.value.code == 2
    assert 'none' in capsys.readouterr().err


def test_folder_and_summary(images, tmp_path):
    folder, paths = images
    out = str(tmp_path / 'out')
    args = _parse([
        str(folder), '--out', out, '--spacing', '0.1', '--batch-size', '2',
        '--labelme', '--report'
    ])
    check_infer_output(args)
    predictor = _fixed()
    seen = []

    def progress(outcomes):
        for outcome in outcomes:
            seen.append(outcome.image)
            yield outcome

    outcomes = predict_folder_from_args(
        predictor, args, len(NAMES), progress=progress)
    assert seen == paths == [o.image for o in outcomes]
    assert predictor.batches == [2, 1]
    rows = list(csv.DictReader(open(f'{out}/landmarks.csv')))
    assert len(rows) == 3 * len(NAMES)
    assert {r['spacing_source'] for r in rows} == {'--spacing'}
    stdout, stderr = infer_summary(outcomes, args)
    assert stdout == [
        f'Predicted 3 of 3 images into {out} (landmarks.csv, '
        'measurements.csv, one JSON and overlay PNG per image, '
        'labelme/<stem>.json, report/<stem>.html and report/index.html)',
        'No calibration: no error radii for 3 image(s) (the model was '
        'loaded without a calibration file)'
    ]
    assert stderr == []

    # an earlier run: refused before any model is built, unless --overwrite
    with pytest.raises(FileExistsError, match='--overwrite'):
        check_infer_output(args)
    args.overwrite = True
    check_infer_output(args)


def test_summary_of_failures_and_missing_spacing(images, tmp_path):
    folder, paths = images
    broken = folder / 'x9.png'
    broken.write_bytes(b'not a png')
    out = str(tmp_path / 'out')
    args = _parse([str(folder), '--out', out])
    outcomes = predict_folder_from_args(_fixed(), args, len(NAMES))
    assert [o.ok for o in outcomes] == [True, True, True, False]
    stdout, stderr = infer_summary(outcomes, args)
    assert stdout == [
        f'Predicted 3 of 4 images into {out} (landmarks.csv, '
        'measurements.csv, one JSON and overlay PNG per image)',
        f'No pixel spacing for 3 image(s), mm columns left empty: '
        f'{", ".join(paths)}',
        'No calibration: no error radii for 3 image(s) (the model was '
        'loaded without a calibration file)'
    ]
    assert stderr == [f'FAILED: {outcomes[3].error}']
    assert str(broken) in stderr[0]


def test_overwrite_is_logged_by_the_core_logger(images, tmp_path, caplog):
    _, paths = images
    out = str(tmp_path / 'out')
    list(predict_to_folder(_fixed(), paths[:2], out))
    with caplog.at_level(logging.WARNING, logger='ceph_landmarks'):
        list(predict_to_folder(_fixed(), paths[2:], out, overwrite=True))
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records
            ] == [('ceph_landmarks', logging.WARNING,
                   f'Removed the 6 result files of an earlier run from {out} '
                   '(overwrite)')]


class CalibratedPredictor(FixedPredictor):
    """:class:`FixedPredictor` with error radii (0.5 to 5 mm) and a
    quality verdict per image, in input order."""

    def __init__(self, verdicts) -> None:
        super().__init__()
        self.verdicts = list(verdicts)

    def predict_batch(self, images, **kwargs):
        results = []
        for prediction in super().predict_batch(images, **kwargs):
            radii = np.linspace(0.5, 5.0, len(NAMES))
            results.append(
                dataclasses.replace(
                    prediction,
                    landmarks=[
                        dataclasses.replace(lm, radius_mm=r)
                        for lm, r in zip(prediction.landmarks, radii)
                    ],
                    quality=QualityCheck(
                        self.verdicts.pop(0), ['landmarks implausible']),
                    calibration='90 % error radii, test'))
        return results


def test_review_radius_reaches_the_labelme_files_and_report(images, tmp_path):
    folder, paths = images
    out = tmp_path / 'out'
    args = _parse([
        str(folder), '--out',
        str(out), '--labelme', '--report', '--review-radius', '2.5',
        '--review-below', '0'
    ])
    assert args.review_radius == 2.5
    outcomes = predict_folder_from_args(
        CalibratedPredictor(['ok', 'review', 'refuse']), args, len(NAMES))
    radii = np.linspace(0.5, 5.0, len(NAMES))
    shapes = json.load(open(out / 'labelme' / 'x0.json'))['shapes']
    assert [s['flags'] == {
        'review': True
    } for s in shapes] == (radii > 2.5).tolist()
    page = (out / 'report' / 'x0.html').read_text()
    assert 'error radius above 2.5 mm' in page
    stdout, _ = infer_summary(outcomes, args)
    assert stdout[-2:] == [
        'Quality check: automatic landmarks need review on 1 image(s): '
        f'{paths[1]}',
        'Quality check: automatic landmarks not usable (not a lateral '
        'cephalogram in the expected orientation?) on 1 image(s): '
        f'{paths[2]}'
    ]
