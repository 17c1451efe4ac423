"""The error radius, the measurement uncertainty and the image's quality
verdict in every output of ``predict_to_folder`` (per-image JSON, the CSV
files, overlay, LabelMe files, report), and what each says without a
calibration; with a predictor that is not the MMPose one, without torch."""
import csv
import dataclasses
import json

import cv2
import numpy as np
import pytest

from ceph_landmarks.core.conversion.labelme import (default_label_map,
                                                    read_labelme)
from ceph_landmarks.core.io.batch_inputs import check_batch_inputs
from ceph_landmarks.core.io.inputs import load_image
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.prediction import (ImagePrediction, QualityCheck,
                                            image_prediction)
from ceph_landmarks.core.writers.labelme_export import (WRITTEN_KEY,
                                                        ReviewRule,
                                                        labelme_record,
                                                        quality_flags)
from ceph_landmarks.core.writers.output_folder import labelme_changes
from ceph_landmarks.core.writers.prediction_folder import (LANDMARK_COLUMNS,
                                                           MEASUREMENT_COLUMNS,
                                                           predict_to_folder)
from ceph_landmarks.core.writers.report_export import (index_entry,
                                                       report_landmark_rows)
from helpers import read_html_page

NAMES = landmark_names('isbi2015')
K = len(NAMES)
SPACING = 0.1
#: Radius of landmark k: 0.5 mm to 5 mm, in channel order.
RADII_MM = 0.5 + 0.25 * np.arange(K)
DESCRIPTION = ('90 % error radii, split-conformal, fitted on 100 '
               'out-of-fold images: synthetic 5-fold')
REASONS = {
    'ok': [],
    'review': ['landmark configuration unlike the training shapes'],
    'refuse':
    ['landmarks rotated by 180 degrees from the training '
     'orientation'],
}


def calibrated(prediction: ImagePrediction, verdict: str) -> ImagePrediction:
    """The prediction as a calibration would give it: radii (px with the
    spacing), measurement uncertainties, a quality check."""
    spacing = prediction.spacing
    landmarks = [
        dataclasses.replace(
            lm,
            radius_mm=float(r),
            radius_px=float(r / np.mean(spacing)) if spacing else None)
        for lm, r in zip(prediction.landmarks, RADII_MM)
    ]
    measurements = [
        dataclasses.replace(
            m, uncertainty=None if m.value is None else 0.1 * (i + 1))
        for i, m in enumerate(prediction.measurements)
    ]
    return dataclasses.replace(
        prediction,
        landmarks=landmarks,
        measurements=measurements,
        quality=QualityCheck(verdict, list(REASONS[verdict]), 1.5, 2.0),
        calibration=DESCRIPTION)


class GridPredictor:
    """Predicts the same points, scaled to each image, spread out so
    their radius circles can be told apart; calibrated when ``verdicts``
    (the verdict of each image, by file name) are given."""

    def __init__(self, verdicts=None) -> None:
        self.labels = [name[:2] for name in NAMES]
        self.verdicts = verdicts

    def predict_batch(self,
                      images,
                      spacings=None,
                      sources=None,
                      batch_size=8,
                      spacing_sources=None):
        checked = check_batch_inputs(images, spacings, sources, batch_size,
                                     spacing_sources)
        results = []
        for image, source, spacing, spacing_source in zip(
                checked.images, checked.sources, checked.spacings,
                checked.spacing_sources):
            pixels = image if isinstance(image, np.ndarray) \
                else load_image(image)
            height, width = pixels.shape[:2]
            angle = np.linspace(0, 2 * np.pi, K, endpoint=False)
            keypoints = np.stack([
                width / 2 + 0.35 * width * np.cos(angle),
                height / 2 + 0.35 * height * np.sin(angle)
            ], 1)
            confidences = np.linspace(0.3, 1.0, K)
            prediction = image_prediction(keypoints, confidences, NAMES,
                                          (height, width), source, spacing,
                                          spacing_source)
            if self.verdicts is not None:
                name = source.replace('\\', '/').rsplit('/', 1)[-1]
                prediction = calibrated(prediction, self.verdicts[name])
            results.append(prediction)
        return results


VERDICTS = {'a.png': 'ok', 'b.png': 'review', 'c.png': 'refuse'}


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / 'xrays'
    folder.mkdir()
    paths = []
    for name in VERDICTS:
        path = str(folder / name)
        cv2.imwrite(path, np.full((300, 400), 110, np.uint8))
        paths.append(path)
    return paths


def run(images, out, verdicts, **kwargs):
    return list(
        predict_to_folder(
            GridPredictor(verdicts),
            images,
            str(out),
            spacing=SPACING,
            labelme=True,
            report=True,
            **kwargs))


@pytest.fixture
def outputs(images, tmp_path):
    """A calibrated run (verdicts ok, review, refuse) and a plain one."""
    cal, plain = tmp_path / 'calibrated', tmp_path / 'plain'
    return (cal, run(images, cal, VERDICTS,
                     review_radius=3.0), plain, run(images, plain, None))


def test_landmarks_csv_has_the_radius_columns(outputs):
    cal, outcomes, plain, _ = outputs
    assert LANDMARK_COLUMNS[-2:] == ('radius_mm', 'radius_px')
    rows = list(csv.DictReader(open(cal / 'landmarks.csv')))
    assert tuple(rows[0]) == LANDMARK_COLUMNS
    assert len(rows) == 3 * K
    for row, lm in zip(rows, outcomes[1].prediction.landmarks * 3):
        assert float(row['radius_mm']) == pytest.approx(lm.radius_mm)
        assert float(row['radius_px']) == pytest.approx(lm.radius_mm / SPACING)
    assert [float(r['radius_mm']) for r in rows[:K]] == pytest.approx(RADII_MM)
    # no calibration: the columns are there, empty
    rows = list(csv.DictReader(open(plain / 'landmarks.csv')))
    assert tuple(rows[0]) == LANDMARK_COLUMNS
    assert {(r['radius_mm'], r['radius_px']) for r in rows} == {('', '')}
    assert {r['x_mm'] != '' for r in rows} == {True}


def test_measurements_csv_has_the_uncertainty(outputs):
    cal, outcomes, plain, _ = outputs
    assert MEASUREMENT_COLUMNS[-1] == 'uncertainty'
    rows = list(csv.DictReader(open(cal / 'measurements.csv')))
    assert tuple(rows[0]) == MEASUREMENT_COLUMNS
    measured = outcomes[0].prediction.measurements
    for row, m in zip(rows, measured):
        if m.uncertainty is None:
            assert row['uncertainty'] == ''
        else:
            assert float(row['uncertainty']) == pytest.approx(m.uncertainty)
    assert sum(m.uncertainty is not None for m in measured) >= 5
    rows = list(csv.DictReader(open(plain / 'measurements.csv')))
    assert {r['uncertainty'] for r in rows} == {''}


def test_json_carries_radii_quality_and_calibration(outputs):
    cal, outcomes, plain, _ = outputs
    record = json.load(open(cal / 'b.json'))
    assert record['calibration'] == DESCRIPTION
    assert record['quality'] == dict(
        verdict='review',
        reasons=REASONS['review'],
        shape_distance=1.5,
        rotation_deg=2.0)
    assert [lm['radius_mm']
            for lm in record['landmarks']] == pytest.approx(RADII_MM)
    assert [lm['radius_px']
            for lm in record['landmarks']] == pytest.approx(RADII_MM / SPACING)
    assert [m['uncertainty'] for m in record['measurements']
            ] == [m.uncertainty for m in outcomes[1].prediction.measurements]
    record = json.load(open(plain / 'b.json'))
    assert record['calibration'] is None and record['quality'] is None
    assert {(lm['radius_mm'], lm['radius_px'])
            for lm in record['landmarks']} == {(None, None)}


def test_overlay_draws_the_radius_circles(outputs):
    cal, outcomes, plain, _ = outputs
    circled = cv2.imread(str(cal / 'a_overlay.png'))
    bare = cv2.imread(str(plain / 'a_overlay.png'))
    changed = (circled != bare).any(axis=2)
    prediction = outcomes[0].prediction
    found = []
    for lm in prediction.landmarks:
        for angle in np.linspace(0, 2 * np.pi, 16, endpoint=False):
            x = int(round(lm.x + lm.radius_px * np.cos(angle)))
            y = int(round(lm.y + lm.radius_px * np.sin(angle)))
            if 0 <= x < 400 and 30 <= y < 300:  # below the title
                # anti-aliased 1 px circle: the pixel or a neighbour (a
                # few hidden by the labels and dots drawn over them)
                found.append(changed[y - 1:y + 2, max(x - 1, 0):x + 2].any())
    assert len(found) > 200 and np.mean(found) > 0.9
    # away from every circle, label and title the X-ray is untouched
    assert not changed[150, 200]


def test_report_pages_and_index(outputs):
    cal, _, plain, _ = outputs
    ok = read_html_page(str(cal / 'report' / 'a.html'))
    review = read_html_page(str(cal / 'report' / 'b.html'))
    refuse = read_html_page(str(cal / 'report' / 'c.html'))
    assert ('div', 'id', 'quality') not in ok.attributes
    assert (f'Automatic landmarks need review: {REASONS["review"][0]}.'
            in review.text)
    assert (f'Automatic landmarks not usable: {REASONS["refuse"][0]} (not '
            'a lateral cephalogram in the expected orientation?).'
            in refuse.text)
    for page in (review, refuse):
        assert 'quality check of the automatic landmark detection, not a ' \
            'diagnosis' in page.text
    table = ok.tables['landmarks']
    assert table[0][7:9] == ['Error radius (mm)', 'Error radius (px)']
    assert [float(row[7]) for row in table[1:]] == pytest.approx(
        RADII_MM, abs=0.005)
    assert [float(row[8]) for row in table[1:]] == pytest.approx(
        RADII_MM / SPACING, abs=0.05)
    assert f'Error radius: {DESCRIPTION}.' in ok.text
    assert '\u00b1' in ok.tables['analyses'][1][2]
    summary = dict(ok.tables['summary'][1:])
    assert summary['Quality check of the landmarks'] == 'ok'
    # review by confidence (below 0.5) or radius (above 3 mm)
    rule = ('Landmarks to review (confidence below 0.5 or error radius '
            'above 3 mm)')
    confidences = np.linspace(0.3, 1.0, K)
    expected = (confidences < 0.5) | (RADII_MM > 3.0)
    assert int(summary[rule]) == expected.sum()
    assert [c == 'review'
            for c in ok.row_classes['landmarks'][1:]] == expected.tolist()
    index = read_html_page(str(cal / 'report' / 'index.html'))
    assert [row[2] for row in index.tables['images']
            ] == ['Quality check', 'ok', 'review', 'refuse']

    bare = read_html_page(str(plain / 'report' / 'a.html'))
    assert 'Error radius: no calibration: no error radii' in bare.text
    assert {row[7] for row in bare.tables['landmarks'][1:]} == {'\u2014'}
    assert ('div', 'id', 'quality') not in bare.attributes
    assert dict(bare.tables['summary']
                [1:])['Quality check of the landmarks'] == 'not run'
    index = read_html_page(str(plain / 'report' / 'index.html'))
    assert 'Quality check' not in index.tables['images'][0]
    assert 'Quality check of the landmarks: not run' in index.text


def test_labelme_review_flags_by_radius_and_image_flags(outputs):
    cal, outcomes, plain, _ = outputs
    confidences = np.linspace(0.3, 1.0, K)
    for name, verdict in VERDICTS.items():
        record = json.load(open(cal / 'labelme' / name.replace('png', 'json')))
        assert record['flags'] == ({} if verdict == 'ok' else {
            f'quality_{verdict}': True
        })
        assert record['quality']['verdict'] == verdict
        assert record['quality']['reasons'] == REASONS[verdict]
        assert record['calibration'] == DESCRIPTION
        for shape, conf, radius, lm in zip(record['shapes'], confidences,
                                           RADII_MM,
                                           outcomes[0].prediction.landmarks):
            review = conf < 0.5 or radius > 3.0
            assert shape['flags'] == ({'review': True} if review else {})
            assert shape['description'] == (
                f'{lm.name}, confidence {conf:.3f}, error radius '
                f'{radius:.2f} mm')
        # as written: not taken for a reviewer's change
        stem = name.replace('.png', '')
        assert labelme_changes(
            str(cal / 'labelme' / f'{stem}.json'),
            str(cal / f'{stem}.json')) == []
    record = json.load(open(plain / 'labelme' / 'b.json'))
    assert record['flags'] == {}
    assert record['quality'] is None and record['calibration'] is None
    assert [s['flags'] for s in record['shapes']] == [{
        'review': True
    } if c < 0.5 else {} for c in confidences]  # no radius: confidence only
    assert 'radius' not in record['shapes'][0]['description']


def test_unticked_quality_flag_is_a_reviewers_change(images, outputs):
    cal = outputs[0]
    path = cal / 'labelme' / 'b.json'
    record = json.load(open(path))
    record['flags'] = {'quality_review': False}
    path.write_text(json.dumps(record))
    assert labelme_changes(str(path),
                           str(cal / 'b.json')) == ['image flags changed']
    with pytest.raises(FileExistsError, match='image flags changed'):
        predict_to_folder(
            GridPredictor(VERDICTS), [images[1]],
            str(cal),
            overwrite=True,
            labelme=True)


def test_labelme_files_read_back_through_the_converter(outputs):
    cal, outcomes = outputs[:2]
    label_map = default_label_map(K)
    slots = [f'l{k + 1}' for k in range(K)]
    for name, outcome in zip(('a', 'b', 'c'), outcomes):
        points, meta = read_labelme(
            str(cal / 'labelme' / f'{name}.json'), f'{name}.json', 'model',
            label_map, slots)
        assert not points.defects, points.defects
        assert points.present.all()
        assert points.coords.tolist() == outcome.prediction.keypoints.tolist()
        assert meta['spacing'] == [SPACING, SPACING]
        assert meta['imagePath'].endswith(f'{name}.png')


def test_review_rule_and_quality_flags():
    prediction = calibrated(
        image_prediction(
            np.zeros((K, 2)), np.ones(K), NAMES, (10, 10), 'x.png', None,
            None), 'refuse')
    lm = prediction.landmarks
    assert lm[0].radius_px is None  # no spacing, no px radius
    rule = ReviewRule(0.5, 2.0)
    assert [rule.needs_review(x) for x in lm] == (RADII_MM > 2.0).tolist()
    assert not any(ReviewRule(0.5).needs_review(x) for x in lm)
    assert not ReviewRule(0.5, 0.1).needs_review(
        dataclasses.replace(lm[0], radius_mm=None))
    assert quality_flags(prediction) == {'quality_refuse': True}
    assert quality_flags(dataclasses.replace(prediction, quality=None)) == {}
    record = labelme_record(prediction, 'x.png', 0.5, review_radius=2.0)
    assert record[WRITTEN_KEY]['image_flags'] != labelme_record(
        dataclasses.replace(prediction, quality=None), 'x.png', 0.5,
        2.0)[WRITTEN_KEY]['image_flags']
    rows = report_landmark_rows(prediction, None, 0.5, review_radius=2.0)
    assert [row['review'] for row in rows] == (RADII_MM > 2.0).tolist()
    assert [row['radius_mm'] for row in rows] == pytest.approx(RADII_MM)
    assert index_entry('x.png', 'x', prediction)['verdict'] == 'refuse'
    assert index_entry('x.png', None, error='bad')['verdict'] is None


def test_bad_review_radius_is_refused(images, tmp_path):
    with pytest.raises(ValueError, match='review_radius .* -1'):
        predict_to_folder(
            GridPredictor(), images, str(tmp_path / 'out'), review_radius=-1)
