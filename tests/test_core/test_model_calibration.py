"""``ceph_landmarks.core.model_calibration``: the calibration file and its
use on a prediction (radii, quality check, measurement uncertainties)."""
import copy
import json
import math
import os

import numpy as np
import pytest

from ceph_landmarks.core.evaluation import RadiusCalibration, ShapeModel
from ceph_landmarks.core.metainfo import landmark_names
from ceph_landmarks.core.model_calibration import (CALIBRATION_FILE,
                                                   ModelCalibration,
                                                   calibrate_prediction,
                                                   calibration_description,
                                                   load_calibration,
                                                   save_calibration)
from ceph_landmarks.core.prediction import (Landmark, QualityCheck,
                                            image_prediction)
from ceph_landmarks.core.synthetic import TEMPLATE

NAMES = landmark_names('isbi2015')
SCALE = 0.2  # the synthetic canvas: 0.2 times the ISBI frame
SHAPE = (480, 387)  # (height, width) of that canvas
SPACING = (0.5, 0.5)  # mm/px on that canvas
RADII_MM = [float(r) for r in np.linspace(1.0, 3.0, len(NAMES))]


def _rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    turn = math.radians(degrees)
    matrix = np.array([[math.cos(turn), -math.sin(turn)],
                       [math.sin(turn), math.cos(turn)]])
    centre = points.mean(axis=0)
    return (points - centre) @ matrix.T + centre


@pytest.fixture(scope='module')
def shape_model() -> ShapeModel:
    rng = np.random.default_rng(0)
    shapes = [
        _rotate(TEMPLATE * SCALE + rng.normal(0, 5, TEMPLATE.shape),
                rng.uniform(-8, 8)) for _ in range(40)
    ]
    return ShapeModel.fit(np.stack(shapes), NAMES, fitted_on='template')


def _radius(radii=RADII_MM, **kwargs) -> RadiusCalibration:
    return RadiusCalibration(
        alpha=0.1,
        landmark_names=list(NAMES),
        radii_mm=list(radii),
        fitted_on='synthetic 5-fold',
        num_calibration=100,
        **kwargs)


def _calibration(shape_model=None, radii=RADII_MM, review=None, **kwargs):
    radius = _radius(radii, **kwargs)
    return ModelCalibration(radius, shape_model,
                            calibration_description(radius), review)


def _prediction(keypoints=None, spacing=SPACING):
    keypoints = TEMPLATE * SCALE if keypoints is None else keypoints
    scores = np.linspace(0.2, 1.0, len(NAMES))
    return image_prediction(keypoints, scores, NAMES, SHAPE, 'synthetic.png',
                            spacing, None if spacing is None else '--spacing')


def test_fields_default_to_none_and_to_dict_carries_them():
    prediction = _prediction()
    assert prediction.quality is None and prediction.calibration is None
    assert all(lm.radius_mm is None and lm.radius_px is None
               for lm in prediction.landmarks)
    assert all(m.uncertainty is None for m in prediction.measurements)
    record = prediction.to_dict()
    assert record['quality'] is None and record['calibration'] is None
    assert record['landmarks'][0]['radius_mm'] is None
    assert record['landmarks'][0]['radius_px'] is None
    assert record['measurements'][0]['uncertainty'] is None

    prediction.landmarks[0] = Landmark('sella', 1.0, 2.0, 0.9, 0.5, 1.0, 1.5,
                                       3.0)
    prediction.measurements[0].uncertainty = 0.7
    prediction.quality = QualityCheck('review', ['radius large'], 2.5,
                                      float('nan'))
    prediction.calibration = '90 % error radii'
    record = json.loads(json.dumps(prediction.to_dict(), allow_nan=False))
    assert record['landmarks'][0]['radius_mm'] == 1.5
    assert record['landmarks'][0]['radius_px'] == 3.0
    assert record['measurements'][0]['uncertainty'] == 0.7
    assert record['quality'] == dict(
        verdict='review',
        reasons=['radius large'],
        shape_distance=2.5,
        rotation_deg=None)
    assert record['calibration'] == '90 % error radii'


def test_description_says_what_the_radii_mean():
    assert calibration_description(_radius()) == (
        '90 % error radii, split-conformal, fitted on 100 out-of-fold '
        'images: synthetic 5-fold')
    adaptive = _radius(difficulty='confidence', scale=[0.5] * len(NAMES))
    assert 'scaled by confidence' in calibration_description(adaptive)


def test_round_trip_through_the_file(tmp_path, shape_model):
    calibration = _calibration(
        shape_model,
        review=2.5,
        difficulty='confidence',
        scale=[0.8] * len(NAMES))
    path = save_calibration(calibration, str(tmp_path))
    assert path == str(tmp_path / CALIBRATION_FILE)

    def refuse(value):
        raise AssertionError(f'not strict JSON: {value}')

    with open(path, encoding='utf-8') as f:
        data = json.loads(f.read(), parse_constant=refuse)
    assert (data['format'], data['version']) == ('ceph_landmarks-calibration',
                                                 1)
    assert set(data) == {
        'format', 'version', 'description', 'review_radius_mm', 'radius',
        'shape'
    }
    for source in (path, str(tmp_path)):
        loaded = load_calibration(source)
        assert loaded.to_dict() == calibration.to_dict()
    assert loaded.review_radius_mm == 2.5
    assert loaded.radius.difficulty == 'confidence'
    assert loaded.shape.distance(TEMPLATE * SCALE) == pytest.approx(
        shape_model.distance(TEMPLATE * SCALE))
    # without a shape model
    plain = save_calibration(_calibration(), str(tmp_path / 'plain.json'))
    assert load_calibration(plain).shape is None
    assert load_calibration(plain).review_radius_mm is None


def test_refuses_to_overwrite(tmp_path):
    path = str(tmp_path / 'cal.json')
    save_calibration(_calibration(), path)
    before = open(path, encoding='utf-8').read()
    other = _calibration(radii=[2 * r for r in RADII_MM])
    with pytest.raises(FileExistsError, match='cal.json'):
        save_calibration(other, path)
    assert open(path, encoding='utf-8').read() == before
    save_calibration(other, path, overwrite=True)
    assert load_calibration(path).radius.radii_mm == other.radius.radii_mm
    assert [p for p in os.listdir(tmp_path)] == ['cal.json']  # no temp left


def _edited(tmp_path, edit) -> str:
    data = _calibration().to_dict()
    edit(data)
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(data))
    return str(path)


def _set(key, value):

    def edit(data):
        data[key] = value

    return edit


def _set_radius(key, value):

    def edit(data):
        data['radius'][key] = value

    return edit


@pytest.mark.parametrize('edit, match', [
    (_set('format', 'other'), "'format'"),
    (_set('version', 2), "'version'"),
    (_set('extra', 1), "unknown key 'extra'"),
    (lambda d: d.pop('description'), "no key 'description'"),
    (_set('description', 3), "'description'"),
    (_set('review_radius_mm', -1.0), "'review_radius_mm'"),
    (_set_radius('radii_mm', [-1.0] * 19), "'radii_mm'"),
    (_set_radius('landmark_names', ['a'] * 19), "'landmark_names'"),
    (_set('radius', None), 'must be a dictionary'),
    (_set('shape', {'landmark_names': NAMES}), "shape model has no key"),
])
def test_bad_files_are_named(tmp_path, edit, match):
    path = _edited(tmp_path, edit)
    with pytest.raises(ValueError, match=match) as info:
        load_calibration(path)
    assert path in str(info.value)


def test_unreadable_files_are_named(tmp_path):
    missing = str(tmp_path / 'none.json')
    with pytest.raises(FileNotFoundError, match='none.json'):
        load_calibration(missing)
    for text, match in (('{"format": ', 'not a calibration file'),
                        ('{"format": NaN}', 'NaN'), ('[1, 2]', 'JSON object')):
        path = tmp_path / 'bad.json'
        path.write_text(text)
        with pytest.raises(ValueError, match=match) as info:
            load_calibration(str(path))
        assert str(path) in str(info.value)


def test_shape_and_radius_must_name_the_same_landmarks(shape_model):
    radius = _radius()
    radius.landmark_names = ['x'] + NAMES[1:]
    with pytest.raises(ValueError, match=r"radius only: \['x'\]"):
        ModelCalibration(radius, shape_model, 'text')


def test_calibrate_prediction_radii_quality_uncertainty(shape_model):
    prediction = _prediction()
    before = copy.deepcopy(prediction.to_dict())
    calibration = _calibration(shape_model)
    result = calibrate_prediction(prediction, calibration, {})
    assert prediction.to_dict() == before  # the input is unchanged
    assert result is not prediction
    assert [lm.radius_mm for lm in result.landmarks] == pytest.approx(RADII_MM)
    assert [lm.radius_px for lm in result.landmarks
            ] == pytest.approx([r / 0.5 for r in RADII_MM])
    assert [(lm.x, lm.y) for lm in result.landmarks
            ] == [(lm.x, lm.y) for lm in prediction.landmarks]
    assert result.calibration == calibration.description
    assert result.quality.verdict == 'ok' and result.quality.reasons == []
    assert result.quality.shape_distance < \
        shape_model.thresholds['review']
    assert abs(result.quality.rotation_deg) < 5
    angles = [m for m in result.measurements if m.unit == 'deg']
    assert angles and all(m.uncertainty > 0 for m in angles)
    assert all(m.uncertainty > 0 for m in result.measurements
               if m.value is not None)
    assert [m.value for m in result.measurements
            ] == [m.value for m in prediction.measurements]
    record = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert record['quality']['verdict'] == 'ok'
    assert record['landmarks'][0]['radius_px'] == pytest.approx(2.0)


def test_uncertainty_grows_with_the_radii_and_is_deterministic():
    prediction = _prediction()
    single = calibrate_prediction(prediction, _calibration(), None)
    again = calibrate_prediction(prediction, _calibration(), None)
    double = calibrate_prediction(
        prediction, _calibration(radii=[2 * r for r in RADII_MM]), None)
    first = [m.uncertainty for m in single.measurements]
    assert first == [m.uncertainty for m in again.measurements]
    ratios = np.array([
        d.uncertainty / s.uncertainty
        for s, d in zip(single.measurements, double.measurements)
    ])
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


def test_rotated_by_180_is_refused(shape_model):
    turned = _rotate(TEMPLATE * SCALE, 180.0)
    result = calibrate_prediction(
        _prediction(turned), _calibration(shape_model), {})
    assert result.quality.verdict == 'refuse'
    assert abs(result.quality.rotation_deg) == pytest.approx(180, abs=5)
    assert any('orientation' in r for r in result.quality.reasons)
    # a prediction without positions cannot be checked
    lost = TEMPLATE * SCALE
    lost[3] = np.nan
    result = calibrate_prediction(
        _prediction(lost), _calibration(shape_model), {})
    assert result.quality.verdict == 'refuse'


def test_large_radii_ask_for_review(shape_model):
    result = calibrate_prediction(_prediction(),
                                  _calibration(shape_model, review=2.5), {})
    assert result.quality.verdict == 'review'
    (reason, ) = result.quality.reasons
    large = [n for n, r in zip(NAMES, RADII_MM) if r > 2.5]
    assert large and all(n in reason for n in large)
    assert NAMES[0] not in reason
    # without a shape model only the radii are checked
    result = calibrate_prediction(_prediction(), _calibration(review=2.5), {})
    assert result.quality.verdict == 'review'
    assert result.quality.shape_distance is None
    result = calibrate_prediction(_prediction(), _calibration(review=5.0), {})
    assert result.quality.verdict == 'ok'


def test_without_shape_model_or_spacing():
    result = calibrate_prediction(
        _prediction(spacing=None), _calibration(), {})
    assert result.quality is None  # nothing was checked
    assert [lm.radius_mm for lm in result.landmarks] == pytest.approx(RADII_MM)
    assert all(lm.radius_px is None for lm in result.landmarks)
    assert all(m.uncertainty is None for m in result.measurements)
    assert result.calibration is not None


def test_adaptive_radius_uses_the_difficulty():
    scale = [0.5] * len(NAMES)
    calibration = _calibration(difficulty='confidence', scale=scale)
    prediction = _prediction()
    result = calibrate_prediction(prediction, calibration, {})
    expected = 0.5 / np.maximum(prediction.confidences, 0.05)
    assert [lm.radius_mm for lm in result.landmarks] == pytest.approx(expected)
    # a distance signal must be given, one value per landmark
    calibration.radius.difficulty = 'flip_disagreement_mm'
    with pytest.raises(ValueError, match='flip_disagreement_mm'):
        calibrate_prediction(prediction, calibration, {})
    with pytest.raises(ValueError, match='19 values'):
        calibrate_prediction(prediction, calibration,
                             {'flip_disagreement_mm': np.ones(3)})
    result = calibrate_prediction(prediction, calibration,
                                  {'flip_disagreement_mm': np.full(19, 2.0)})
    assert [lm.radius_mm for lm in result.landmarks
            ] == pytest.approx([0.5 * 2.0] * len(NAMES))


def test_landmark_names_must_match():
    prediction = _prediction()
    radius = _radius()
    radius.landmark_names = NAMES[:-1] + ['other']
    calibration = ModelCalibration(radius, None, 'text')
    with pytest.raises(ValueError) as info:
        calibrate_prediction(prediction, calibration, {})
    message = str(info.value)
    assert "prediction only: ['articulare']" in message
    assert "calibration only: ['other']" in message
    radius.landmark_names = NAMES[1:] + NAMES[:1]
    with pytest.raises(ValueError, match='another order'):
        calibrate_prediction(prediction, calibration, {})


def _two_stage_prediction(spacing=SPACING, coarse_shift=(3.0, 4.0)):
    """A prediction whose first-stage points were ``coarse_shift`` px off
    (5 px, 2.5 mm at the spacing)."""
    keypoints = TEMPLATE * SCALE
    return image_prediction(
        keypoints,
        np.linspace(0.2, 1.0, len(NAMES)),
        NAMES,
        SHAPE,
        'two-stage.png',
        spacing,
        None if spacing is None else '--spacing',
        coarse_keypoints=keypoints + np.asarray(coarse_shift))


def test_radius_scaled_by_the_refine_shift_of_the_landmarks():
    calibration = _calibration(
        difficulty='refine_shift_mm', scale=[0.8] * len(NAMES))
    prediction = _two_stage_prediction()
    assert prediction.landmarks[0].refine_shift_mm == pytest.approx(2.5)
    result = calibrate_prediction(prediction, calibration, None)
    assert [lm.radius_mm for lm in result.landmarks
            ] == pytest.approx([0.8 * 2.5] * len(NAMES))
    assert [lm.radius_px for lm in result.landmarks
            ] == pytest.approx([0.8 * 2.5 / 0.5] * len(NAMES))
    assert result.landmarks[0].refine_shift_mm == pytest.approx(2.5)
    assert 'scaled by refine_shift_mm' in result.calibration
    # floored at 0.5 mm: a point the refinement did not move
    still = _two_stage_prediction(coarse_shift=(0.0, 0.0))
    result = calibrate_prediction(still, calibration, {})
    assert [lm.radius_mm for lm in result.landmarks
            ] == pytest.approx([0.8 * 0.5] * len(NAMES))
    # a constant or confidence calibration ignores it
    result = calibrate_prediction(prediction, _calibration(), {})
    assert [lm.radius_mm for lm in result.landmarks] == pytest.approx(RADII_MM)


def test_refine_shift_calibration_needs_the_refinement_and_the_spacing():
    calibration = _calibration(
        difficulty='refine_shift_mm', scale=[0.8] * len(NAMES))
    for prediction, why in [
        (_prediction(), 'the prediction has no refinement stage'),
        (_two_stage_prediction(spacing=None),
         'the image has no pixel spacing'),
    ]:
        with pytest.raises(ValueError) as info:
            calibrate_prediction(prediction, calibration, {})
        message = str(info.value)
        assert message.startswith(f'{prediction.image}: ')
        assert "'refine_shift_mm'" in message and why in message
        assert 'refinement stage' in message
        assert 'pixel spacing' in message
